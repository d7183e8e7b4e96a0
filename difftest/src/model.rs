//! The `models` family's declarations: the structs a program derives `Differentiable` for
//! (`Model`; `Layer`, kept in a `Vec`; a nested `Inner`; named or tuple structs), their
//! fields, their source, and the values of them the checker passes.

use crate::ast::Function;
use crate::emit::literal;
use crate::ty::Ty;
use rand::rngs::StdRng;

/// Which of a program's structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The main function's parameter.
    Model,
    /// The element of a `Vec<Layer>` (a field of `Model`, or a parameter `&Vec<Layer>`).
    Layer,
    /// A struct nested in `Model`.
    Inner,
}

impl Kind {
    /// The struct's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Model => "Model",
            Kind::Layer => "Layer",
            Kind::Inner => "Inner",
        }
    }
}

/// The type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldTy {
    /// `f64` or a matrix.
    Float(Ty),
    /// `[T; n]` of a float type.
    Array(Ty, usize),
    /// `Vec<Layer>` of this many layers.
    Layers(usize),
    /// An `Inner`.
    Nested,
    /// `#[differentiable(skip)] usize`, with the value the checker gives it.
    Skip(usize),
    /// `#[differentiable(skip)] f64` (a temperature) of this many hundredths, read in
    /// arithmetic: a constant, whose value every gradient keeps and no direction moves.
    Frozen(u32),
}

impl FieldTy {
    /// The Rust type.
    pub fn rust(self) -> String {
        match self {
            FieldTy::Float(t) => t.rust(),
            FieldTy::Array(t, n) => format!("[{}; {n}]", t.rust()),
            FieldTy::Layers(_) => format!("Vec<{}>", Kind::Layer.name()),
            FieldTy::Nested => Kind::Inner.name().into(),
            FieldTy::Skip(_) => "usize".into(),
            FieldTy::Frozen(_) => "f64".into(),
        }
    }
}

/// A field: its name (`w`, or `0` in a tuple struct) and type.
#[derive(Clone, Debug)]
pub struct Field {
    /// The name, or the position in a tuple struct.
    pub name: String,
    /// The type.
    pub ty: FieldTy,
}

/// A derived struct.
#[derive(Clone, Debug)]
pub struct StructDef {
    /// Which one.
    pub kind: Kind,
    /// Whether a tuple struct (its fields are named `0`, `1`, ..).
    pub tuple: bool,
    /// The fields, in declaration order (the order of `to_flat`).
    pub fields: Vec<Field>,
}

impl StructDef {
    /// The declaration, with `#[derive(.., matgrad::Differentiable)]`.
    pub fn render(&self) -> String {
        let name = self.kind.name();
        let mut s = format!("#[derive(Clone, Debug, matgrad::Differentiable)]\npub struct {name}");
        let skip = |f: &Field| matches!(f.ty, FieldTy::Skip(_) | FieldTy::Frozen(_));
        if self.tuple {
            let fields: Vec<String> = self
                .fields
                .iter()
                .map(|f| {
                    let attr = if skip(f) {
                        "#[differentiable(skip)] "
                    } else {
                        ""
                    };
                    format!("{attr}pub {}", f.ty.rust())
                })
                .collect();
            s.push_str(&format!("({});\n", fields.join(", ")));
            return s;
        }
        s.push_str(" {\n");
        for f in &self.fields {
            if skip(f) {
                s.push_str("    #[differentiable(skip)]\n");
            }
            s.push_str(&format!("    pub {}: {},\n", f.name, f.ty.rust()));
        }
        s.push_str("}\n");
        s
    }
}

/// The `models` part of a program: its structs and the functions taking them (a function of
/// a part, `&Layer` or `&Inner`, and the main one, `&Model`), checked after the others.
#[derive(Clone, Debug)]
pub struct Models {
    /// The structs, `Layer` and `Inner` before `Model`.
    pub structs: Vec<StructDef>,
    /// The functions, callees first; the last is the main one.
    pub funcs: Vec<Function>,
}

impl Models {
    /// The definition of a struct of the program.
    pub fn def(&self, k: Kind) -> &StructDef {
        self.structs
            .iter()
            .find(|d| d.kind == k)
            .expect("a struct the program declares")
    }

    /// The declarations and the functions.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for d in &self.structs {
            s.push_str(&d.render());
            s.push('\n');
        }
        for f in &self.funcs {
            s.push_str(&f.render());
            s.push('\n');
        }
        s
    }

    /// `use super::{Layer, Model};` for the plain copy.
    pub fn imports(&self) -> String {
        let names: Vec<&str> = self.structs.iter().map(|d| d.kind.name()).collect();
        format!("    use super::{{{}}};\n", names.join(", "))
    }

    /// A value of type `ty` (random entries in ±[0.05, 1], skipped fields their fixed value).
    pub fn value(&self, ty: Ty, rng: &mut StdRng) -> String {
        match ty {
            Ty::Model(k) => self.literal(k, rng),
            Ty::Mats { shape, len } => {
                let items: Vec<String> = (0..len).map(|_| literal(Ty::Mat(shape), rng)).collect();
                format!("vec![{}]", items.join(", "))
            }
            Ty::Layers(len) => self.field_value(FieldTy::Layers(len), rng),
            t => literal(t, rng),
        }
    }

    /// A struct literal `Model { w: .., layers: vec![..], .. }` or `Inner(.., ..)`.
    fn literal(&self, k: Kind, rng: &mut StdRng) -> String {
        let d = self.def(k);
        let values: Vec<String> = d
            .fields
            .iter()
            .map(|f| {
                let v = self.field_value(f.ty, rng);
                if d.tuple {
                    v
                } else {
                    format!("{}: {v}", f.name)
                }
            })
            .collect();
        if d.tuple {
            format!("{}({})", k.name(), values.join(", "))
        } else {
            format!("{} {{ {} }}", k.name(), values.join(", "))
        }
    }

    fn field_value(&self, ty: FieldTy, rng: &mut StdRng) -> String {
        match ty {
            FieldTy::Float(t) => literal(t, rng),
            FieldTy::Array(t, n) => {
                let items: Vec<String> = (0..n).map(|_| literal(t, rng)).collect();
                format!("[{}]", items.join(", "))
            }
            FieldTy::Layers(n) => {
                let items: Vec<String> = (0..n).map(|_| self.literal(Kind::Layer, rng)).collect();
                format!("vec![{}]", items.join(", "))
            }
            FieldTy::Nested => self.literal(Kind::Inner, rng),
            FieldTy::Skip(v) => v.to_string(),
            FieldTy::Frozen(c) => frozen(c),
        }
    }

    /// The skipped fields of a value of type `ty`, as paths below it (`.n`).
    pub fn skipped(&self, ty: Ty) -> Vec<String> {
        let Ty::Model(k) = ty else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for f in &self.def(k).fields {
            match f.ty {
                FieldTy::Skip(_) | FieldTy::Frozen(_) => out.push(format!(".{}", f.name)),
                FieldTy::Nested => {
                    let inner = self.skipped(Ty::Model(Kind::Inner));
                    out.extend(inner.iter().map(|p| format!(".{}{p}", f.name)));
                }
                _ => {}
            }
        }
        out
    }

    /// The number of entries of a value of `ty` (its `entry_count()`).
    pub fn entries(&self, ty: Ty) -> usize {
        let float = |t: Ty| t.shape().map_or(1, |s| s.len());
        match ty {
            Ty::Model(k) => self
                .def(k)
                .fields
                .iter()
                .map(|f| match f.ty {
                    FieldTy::Float(t) => float(t),
                    FieldTy::Array(t, n) => n * float(t),
                    FieldTy::Layers(n) => n * self.entries(Ty::Model(Kind::Layer)),
                    FieldTy::Nested => self.entries(Ty::Model(Kind::Inner)),
                    FieldTy::Skip(_) | FieldTy::Frozen(_) => 0,
                })
                .sum(),
            Ty::Mats { shape, len } => len * shape.len(),
            Ty::Layers(n) => n * self.entries(Ty::Model(Kind::Layer)),
            t => float(t),
        }
    }
}

/// The literal of a frozen field of `c` hundredths: `0.75_f64`.
pub fn frozen(c: u32) -> String {
    format!("{}.{:02}_f64", c / 100, c % 100)
}

/// Whether a variable's name is a path into a value (`p.w`, `ws[0]`, `p.layers[i].b`).
pub fn is_path(name: &str) -> bool {
    name.contains(['.', '['])
}

/// Whether a variable is a field or element, or a reference to one: a path, an alias
/// (`al3`, `let al3 = &p.w;`) or a loop's element of a collection of matrices (`el4`), the
/// names the `models` family gives them.
pub fn field_like(name: &str) -> bool {
    let numbered = |stem: &str| {
        name.strip_prefix(stem)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    is_path(name) || numbered("al") || numbered("el")
}

/// Constructs of the family that `#[grad]` does not compile yet (its findings, listed in
/// difftest/README.md, "Results"): while a switch is `true`, the generator steers around the
/// construct; set it to `false` to generate it again.
pub mod gaps {
    /// A closure reading a field or element (`p.w.map(|v| v * p.s)`, `ws[1][(0, 0)]`):
    /// "a field of a differentiated value is not differentiable", or type errors.
    pub const FIELD_IN_CLOSURE: bool = false;
    /// A field or element (or an entry of one) borrowed as the argument of one of the
    /// library's functions (`matgrad::relu(&p.w)`, `matgrad::logsumexp(&ws[0])`,
    /// `matgrad::relu(&p.b[(1, 0)])`): `&M: Dense` is not satisfied (E0277).
    /// Calls of `#[grad]` and `#[vjp]` functions, and nalgebra's methods, take them.
    pub const FIELD_AS_LIBRARY_ARG: bool = false;
    /// A variable bound to a copy of a field or entry (`let a = p.s;`, `let a = p.w[0];`, a
    /// static matrix `let m = p.m;`, an entry of an alias `let a = &p.d; let y = a[(0, 0)];`)
    /// is a reference in the expansion: read in an `if`
    /// condition, as a function's argument in a closure (`f64::atan(a)`), through an entry
    /// (`let y = m[(0, 0)]; matgrad::softplus(&y)`), or assigned (`h = p.vs[1][(0, i)];`)
    /// before a `#[cfg(any())]` loop that changes it: E0308 or E0277 (`&f64` where `f64`
    /// goes).
    pub const FIELD_COPY: bool = false;
    /// `.enumerate()` of a `.zip(..)` whose first collection is differentiated: "the range of
    /// a `for` loop must not depend on a differentiated parameter", or E0277.
    pub const ENUMERATE_ZIP: bool = false;
    /// `for &g in p.gains.iter()`: E0277, "read where no derivative flows".
    pub const REF_PATTERN: bool = false;
    /// `f64::max(p.s, p.gains[0])`, `p.w[0].min(p.w[1])` (of floats that are fields or
    /// entries of one) in a `forward` function: `&f64: matgrad::Scalar` (E0277, in
    /// `max_weight`).
    pub const FORWARD_MAX_OF_FIELD: bool = false;
    /// `let _ = xs[0];` of an element of a constant slice: E0508, a move out of the slice.
    pub const LET_UNDERSCORE_ELEMENT: bool = false;
    /// A `match` on a skipped count whose arm binds it (`match p.n { k if k > 4 => .. }`):
    /// "a pattern cannot bind a part of a value that depends on a differentiated parameter".
    pub const MATCH_BINDS_SKIPPED: bool = false;
}

/// Whether a closure may not read the variable `name` ([`gaps::FIELD_IN_CLOSURE`]).
pub fn closure_hidden(name: &str) -> bool {
    gaps::FIELD_IN_CLOSURE && is_path(name)
}
