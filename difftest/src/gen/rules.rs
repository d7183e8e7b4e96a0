//! Functions with hand-written `#[vjp(rule)]` rules (the `vjp` family), from fixed
//! templates, and the `forward` family: whether a program's `#[grad]` attributes take
//! `forward` (drawn from a stream of its own), and then each rule's `#[jvp(tangent)]`, a
//! tangent function that has a `#[vjp]` rule of its own (through which `f_hvp`
//! differentiates it again).

use super::{Callee, Gen};
use crate::ast::{Function, StmtKind, VjpFn};
use crate::family::Family;
use crate::ty::{Shape, Ty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The salt of the `forward` family's stream: one draw per program, apart from every other
/// stream, so that a program not taking `forward` is, byte for byte, what it was before the
/// family was added (and one taking it differs only in its attributes and rules' tangents).
const FORWARD_SALT: u64 = 0x6a09_e667_f3bc_c908;

/// The share of programs taking `forward` (where the family is enabled).
const FORWARD_SHARE: f64 = 0.25;

/// The salt of the `checkpoint` family's stream, apart from every other stream, so that a
/// function not taking `checkpoint` is what it was before the family was added.
pub(crate) const CHECKPOINT_SALT: u64 = 0xbb67_ae85_84ca_a73b;

/// The share of functions with a top-level loop that take `checkpoint`.
const CHECKPOINT_SHARE: f64 = 0.5;

impl Gen {
    /// Decides whether the program of `seed` takes `forward` (every `#[grad]` attribute
    /// gets it, every rule a `#[jvp]` tangent).
    pub(crate) fn choose_forward(&mut self, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed ^ FORWARD_SALT);
        self.forward = self.on(Family::Forward) && rng.random_bool(FORWARD_SHARE);
        if self.forward {
            self.mark(Family::Forward);
        }
    }

    /// Decides whether `f` takes `checkpoint`: only a function with a `for` loop at its top
    /// level (not under `#[cfg]`) may.
    pub(crate) fn choose_checkpoint(&mut self, f: &mut Function) {
        let has_loop = f
            .body
            .iter()
            .any(|s| s.cfg.is_none() && matches!(s.kind, StmtKind::For(..)));
        // One draw per function, whether or not it can take it, so that the stream does not
        // depend on the other families.
        let draw = self.checkpoint_rng.random_bool(CHECKPOINT_SHARE);
        f.checkpoint = self.on(Family::Checkpoint) && has_loop && draw;
        if f.checkpoint {
            self.mark(Family::Checkpoint);
        }
    }

    /// Adds one or two functions with hand-written rules to the program and its callees.
    pub(crate) fn add_vjps(&mut self) {
        for _ in 0..self.rng.random_range(1..=2) {
            let name = self.fresh("rule_fn");
            let shape = self.any_shape();
            let which = if shape.is_some() {
                self.rng.random_range(0..3)
            } else {
                0
            };
            let (mut source, callee) = match (which, shape) {
                (1, Some(s)) => vjp_energy(&name, s),
                (2, Some(s)) => vjp_sine(&name, s),
                _ => vjp_softclip(&name),
            };
            if self.forward {
                source = with_tangent(&name, &source, &jvp_source(&name, which, shape));
            }
            self.vjps.push(VjpFn { name, source });
            self.callees.push(callee);
        }
    }
}

/// The rule's source with `#[matgrad::jvp(name_tangent)]` after its `#[vjp]` attribute and
/// the tangent (with its own rule) after it.
fn with_tangent(name: &str, source: &str, tangent: &str) -> String {
    let (attr, rest) = source.split_once('\n').expect("an attribute line");
    format!("{attr}\n#[matgrad::jvp({name}_tangent)]\n{rest}\n{tangent}")
}

/// The tangent of template `which` (as `add_vjps` numbers them) and its rule.
fn jvp_source(name: &str, which: usize, shape: Option<Shape>) -> String {
    match (which, shape) {
        (1, Some(s)) => jvp_energy(name, s),
        (2, Some(s)) => jvp_sine(name, s),
        _ => jvp_softclip(name),
    }
}

/// x / √(1 + x²), a scalar rule.
fn vjp_softclip(name: &str) -> (String, Callee) {
    let src = format!(
        "#[vjp({name}_rule)]\npub fn {name}(x: f64) -> f64 {{\n    x / (1.0 + x * x).sqrt()\n}}\n\n\
         pub fn {name}_rule(x: &f64, _y: &f64, g: &f64) -> f64 {{\n    g / (1.0 + x * x).powf(1.5)\n}}\n"
    );
    let c = Callee {
        name: name.into(),
        params: vec![(Ty::Scalar, false, true)],
        ret: Ty::Scalar,
        bound: 1.0,
        vjp: true,
        fallible: false,
    };
    (src, c)
}

/// ẏ = ẋ·(1 + x²)^(−3/2); its rule: ∂/∂x = −3x·ẋ·(1 + x²)^(−5/2), ∂/∂ẋ = (1 + x²)^(−3/2).
fn jvp_softclip(name: &str) -> String {
    format!(
        "#[vjp({name}_tangent_rule)]\npub fn {name}_tangent(x: f64, dx: &f64) -> f64 {{\n    \
         dx / (1.0 + x * x).powf(1.5)\n}}\n\n\
         pub fn {name}_tangent_rule(x: &f64, dx: &f64, _y: &f64, g: &f64) -> (f64, f64) {{\n    \
         let q = 1.0 + x * x;\n    (-3.0 * g * x * dx / q.powf(2.5), g / q.powf(1.5))\n}}\n"
    )
}

/// ½‖M‖² + ΣM, a matrix-to-scalar rule.
fn vjp_energy(name: &str, s: Shape) -> (String, Callee) {
    let t = s.rust();
    let src = format!(
        "#[vjp({name}_rule)]\npub fn {name}(m: &{t}) -> f64 {{\n    m.component_mul(m).sum() * 0.5 + m.sum()\n}}\n\n\
         pub fn {name}_rule(m: &{t}, _y: &f64, g: &f64) -> {t} {{\n    m.map(|v| (v + 1.0) * g)\n}}\n"
    );
    let bound = 1.5 * s.len() as f64;
    let c = Callee {
        name: name.into(),
        params: vec![(Ty::Mat(s), true, true)],
        ret: Ty::Scalar,
        bound,
        vjp: true,
        fallible: false,
    };
    (src, c)
}

/// ẏ = ⟨M + 1, Ṁ⟩; its rule: ∂/∂M = Ṁ, ∂/∂Ṁ = M + 1 (times the cotangent).
fn jvp_energy(name: &str, s: Shape) -> String {
    let t = s.rust();
    format!(
        "#[vjp({name}_tangent_rule)]\npub fn {name}_tangent(m: &{t}, dm: &{t}) -> f64 {{\n    \
         m.zip_map(dm, |v, d| (v + 1.0) * d).sum()\n}}\n\n\
         pub fn {name}_tangent_rule(m: &{t}, dm: &{t}, _y: &f64, g: &f64) -> ({t}, {t}) {{\n    \
         (dm * *g, m.map(|v| (v + 1.0) * g))\n}}\n"
    )
}

/// sin(s·M) entry-wise, a matrix-valued rule of two parameters.
fn vjp_sine(name: &str, s: Shape) -> (String, Callee) {
    let t = s.rust();
    let src = format!(
        "#[vjp({name}_rule)]\npub fn {name}(m: &{t}, s: f64) -> {t} {{\n    m.map(|v| (v * s).sin())\n}}\n\n\
         pub fn {name}_rule(m: &{t}, s: &f64, _y: &{t}, g: &{t}) -> ({t}, f64) {{\n    \
         let d = m.map(|v| (v * s).cos());\n    \
         (g.component_mul(&d) * *s, g.component_mul(&d.component_mul(m)).sum())\n}}\n"
    );
    let c = Callee {
        name: name.into(),
        params: vec![(Ty::Mat(s), true, true), (Ty::Scalar, false, true)],
        ret: Ty::Mat(s),
        bound: 1.0,
        vjp: true,
        fallible: false,
    };
    (src, c)
}

/// Ẏ = cos(s·M) ∘ (s·Ṁ + ṡ·M); with u = s·Ṁ + ṡ·M, its rule: ∂/∂M = cos·ṡ − sin·s·u,
/// ∂/∂s = cos·Ṁ − sin·M·u, ∂/∂Ṁ = cos·s, ∂/∂ṡ = cos·M (entry-wise, times the cotangent,
/// summed for the scalars).
fn jvp_sine(name: &str, s: Shape) -> String {
    let t = s.rust();
    format!(
        "#[vjp({name}_tangent_rule)]\n\
         pub fn {name}_tangent(m: &{t}, s: f64, dm: &{t}, ds: &f64) -> {t} {{\n    \
         m.zip_map(dm, |v, d| (v * s).cos() * (d * s + v * ds))\n}}\n\n\
         pub fn {name}_tangent_rule(m: &{t}, s: &f64, dm: &{t}, ds: &f64, _y: &{t}, g: &{t}) -> ({t}, f64, {t}, f64) {{\n    \
         let gc = g.zip_map(m, |gi, v| gi * (v * s).cos());\n    \
         let e = g.zip_zip_map(m, dm, |gi, v, d| gi * (v * s).sin() * (d * s + v * ds));\n    \
         (&gc * *ds - &e * *s, gc.component_mul(dm).sum() - e.component_mul(m).sum(), &gc * *s, gc.component_mul(m).sum())\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use crate::family::{Family, FamilySet};
    use crate::gen::generate;
    use crate::program_seed;

    /// A program generated with the `forward` family is the one generated without it, but
    /// for `forward` in its attributes and its rules' tangents; a quarter or so take it
    /// (`models`, whose functions take `forward` of their own, left out).
    #[test]
    fn forward_changes_only_attributes_and_tangents() {
        let mut with = FamilySet::all();
        with.remove(Family::Models);
        let mut without = with;
        without.remove(Family::Forward);
        let mut taken = 0;
        for k in 0..200 {
            let seed = program_seed(2026, k);
            let (a, b) = (generate(k, seed, without), generate(k, seed, with));
            taken += usize::from(b.families.has(Family::Forward));
            for (fa, fb) in a.funcs.iter().zip(&b.funcs) {
                let rb = without_argument(&fb.render(), "forward");
                assert_eq!(fa.render(), rb);
                assert_eq!(fb.forward, b.families.has(Family::Forward));
            }
            assert_eq!(a.funcs.len(), b.funcs.len());
            for (va, vb) in a.vjps.iter().zip(&b.vjps) {
                let tangent = format!("\n#[vjp({}_tangent_rule)]", vb.name);
                let rule = vb.source.split(&tangent).next().unwrap_or_default();
                let jvp = format!("#[matgrad::jvp({}_tangent)]\n", vb.name);
                assert_eq!(va.source, rule.replacen(&jvp, "", 1));
            }
            assert_eq!(a.vjps.len(), b.vjps.len());
        }
        assert!(
            (30..=70).contains(&taken),
            "{taken} of 200 programs take `forward`"
        );
    }

    /// The first `#[grad(..)]` of `source` without the argument `arg`.
    fn without_argument(source: &str, arg: &str) -> String {
        let alone = format!("#[grad({arg})]");
        if source.contains(&alone) {
            return source.replacen(&alone, "#[grad]", 1);
        }
        let first = format!("#[grad({arg}, ");
        if source.contains(&first) {
            return source.replacen(&first, "#[grad(", 1);
        }
        source.replacen(&format!(", {arg}"), "", 1)
    }

    /// A program generated with the `checkpoint` family is the one generated without it, but
    /// for `checkpoint` in the attributes of about half the functions with a top-level loop.
    #[test]
    fn checkpoint_changes_only_attributes() {
        let with = FamilySet::all();
        let mut without = with;
        without.remove(Family::Checkpoint);
        let (mut taken, mut functions) = (0, 0);
        for k in 0..200 {
            let seed = program_seed(7, k);
            let (a, b) = (generate(k, seed, without), generate(k, seed, with));
            assert_eq!(a.funcs.len(), b.funcs.len());
            for (fa, fb) in a.funcs.iter().zip(&b.funcs) {
                functions += 1;
                taken += usize::from(fb.checkpoint);
                let rb = match fb.checkpoint {
                    true => without_argument(&fb.render(), "checkpoint"),
                    false => fb.render(),
                };
                assert_eq!(fa.render(), rb);
            }
        }
        assert!(
            taken * 20 >= functions,
            "{taken} of {functions} functions take `checkpoint`"
        );
    }
}
