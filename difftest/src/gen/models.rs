//! The `models` family: parameters of the program's own types. A share of the programs
//! (decided by a stream of its own) get, after their other functions, derived structs (a
//! `Model` of random fields: floats and matrices of the program's shapes, a `Vec<Layer>`, a
//! nested `Inner`, named or tuple, an array, a `#[differentiable(skip)]` count), a function
//! of a part (`#[grad(l, x)] fn part(l: &Layer, x: ..)`) and the main one,
//! `#[grad(p, ..)] fn model(p: &Model, x: .., [ws: &[M]], [layers: &Vec<Layer>], [xs: ..])`;
//! their bodies (`body`, `reach`) reach the fields and compute on them with the
//! other generators. A third of them take `forward`. The other functions are generated
//! first, so a program is, up to the additions, what it is without the family.

mod body;
mod reach;

use super::{Gen, Var};
use crate::ast::{Function, Param, Taking};
use crate::family::Family;
use crate::model::{Field, FieldTy, Kind, Models, StructDef};
use crate::ty::{Shape, Ty};
use body::Ctx;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The salt of the `models` family's stream (the decision and its `forward`).
const MODELS_SALT: u64 = 0x3c6e_f372_fe94_f82b;

/// The share of programs taking `models` (where the family is enabled).
pub const MODELS_SHARE: f64 = 0.25;

/// The share of those whose model functions take `forward` (where that family is enabled).
const MODELS_FORWARD: f64 = 1.0 / 3.0;

/// The names of float fields, in order.
const NAMES: [&str; 6] = ["w", "b", "u", "c", "k", "e"];

/// The function of a part, as its callers see it.
#[derive(Clone, Debug)]
pub(crate) struct PartFn {
    /// Its name.
    pub name: String,
    /// The struct it takes first.
    pub kind: Kind,
    /// Its second parameter's type, and whether by reference.
    pub x: (Ty, bool),
    /// Its return type.
    pub ret: Ty,
    /// The magnitude of its value.
    pub bound: f64,
    /// Whether it returns an `Option` (called `part(..).unwrap()`).
    pub fallible: bool,
}

impl Gen {
    /// The `models` part of the program of `seed`, if it takes one; after the other functions.
    pub(crate) fn models(&mut self, seed: u64) -> Option<Models> {
        let mut rng = StdRng::seed_from_u64(seed ^ MODELS_SALT);
        if !self.on(Family::Models) || !rng.random_bool(MODELS_SHARE) {
            return None;
        }
        let forward = self.on(Family::Forward) && rng.random_bool(MODELS_FORWARD);
        self.mark(Family::Models);
        if forward {
            self.mark(Family::Forward);
        }
        // Helpers and rules have forward companions only in a program that takes `forward`.
        let (callees, was_forward) = (self.callees.clone(), self.forward);
        if forward && !self.forward {
            self.callees.clear();
        }
        self.forward = forward;
        let mut models = Models {
            structs: self.model_structs(),
            funcs: Vec::new(),
        };
        let part = self.part_fn(&models);
        let sig = part.as_ref().map(|(_, s)| s.clone());
        if let Some((f, _)) = part {
            models.funcs.push(f);
        }
        let params = self.model_params(&models);
        let ret = self.model_ret();
        let main = self.model_function("model", params, ret, &models, sig, false);
        models.funcs.push(main);
        self.callees = callees;
        self.forward = was_forward;
        Some(models)
    }

    /// `Layer` (three times in five), `Inner` (two in five), then `Model`.
    fn model_structs(&mut self) -> Vec<StructDef> {
        let mut structs = Vec::new();
        let layer = self.chance(0.6);
        if layer {
            structs.push(self.layer_def());
        }
        let inner = self.chance(0.4);
        if inner {
            let n = self.rng.random_range(1..=2);
            let tys: Vec<FieldTy> = (0..n).map(|_| FieldTy::Float(self.float_ty())).collect();
            let tuple = self.chance(0.5);
            structs.push(def(Kind::Inner, tuple, tys));
        }
        structs.push(self.model_def(layer, inner));
        structs
    }

    /// A layer: often `w` square and `b` a vector of its size (a step `h = σ(w·h + b)`), and
    /// a float or matrix of the program's shapes.
    fn layer_def(&mut self) -> StructDef {
        let mut tys = Vec::new();
        if self.on(Family::Dynamic) && self.on(Family::Products) && self.chance(0.6) {
            let a = self.size();
            for s in [Shape::dmat(a, a), Shape::dvec(a)] {
                if !self.shapes.contains(&s) {
                    self.shapes.push(s);
                }
                tys.push(FieldTy::Float(Ty::Mat(s)));
            }
        }
        let extra = self.rng.random_range(usize::from(tys.is_empty())..=1);
        for _ in 0..extra {
            let t = self.float_ty();
            tys.push(FieldTy::Float(t));
        }
        def(Kind::Layer, false, tys)
    }

    /// The model: one to three floats and matrices, `layers`, `inner`, an array, a skipped
    /// count, in a random order; a named struct, or (one in five) a tuple struct.
    fn model_def(&mut self, layer: bool, inner: bool) -> StructDef {
        let mut tys: Vec<FieldTy> = Vec::new();
        for _ in 0..self.rng.random_range(1..=3) {
            let t = self.float_ty();
            tys.push(FieldTy::Float(t));
        }
        if layer && self.chance(0.75) {
            tys.push(FieldTy::Layers(self.rng.random_range(1..=3)));
        }
        if inner {
            tys.push(FieldTy::Nested);
        }
        if self.chance(0.35) {
            let t = if self.chance(0.5) {
                Ty::Scalar
            } else {
                self.float_ty()
            };
            tys.push(FieldTy::Array(t, self.rng.random_range(2..=3)));
        }
        if self.chance(0.5) {
            tys.push(FieldTy::Skip(self.rng.random_range(0..=3)));
        }
        if self.chance(0.4) {
            tys.push(FieldTy::Frozen(self.rng.random_range(50..=150)));
        }
        for i in (1..tys.len()).rev() {
            let j = self.rng.random_range(0..=i);
            tys.swap(i, j);
        }
        let tuple = self.chance(0.2);
        def(Kind::Model, tuple, tys)
    }

    /// `part(l: &Layer or &Inner, x: T) -> f64` (or `T`, for `h = part(layer, &h)`).
    fn part_fn(&mut self, models: &Models) -> Option<(Function, PartFn)> {
        let kinds: Vec<Kind> = models.structs.iter().map(|d| d.kind).collect();
        let kinds: Vec<Kind> = kinds.into_iter().filter(|&k| k != Kind::Model).collect();
        if !self.on(Family::Calls) || kinds.is_empty() || !self.chance(0.5) {
            return None;
        }
        self.mark(Family::Calls);
        let kind = kinds[self.rng.random_range(0..kinds.len())];
        let xt = self.float_ty();
        let ret = if self.on(Family::MatrixOutput) && xt != Ty::Scalar && self.chance(0.4) {
            self.mark(Family::MatrixOutput);
            xt
        } else {
            Ty::Scalar
        };
        let x = self.float_param("x", xt);
        let by_ref = x.by_ref;
        let params = vec![struct_param("l", Ty::Model(kind)), x];
        let f = self.model_function("part", params, ret, models, None, true);
        let sig = PartFn {
            name: f.name.clone(),
            kind,
            x: (xt, by_ref),
            ret,
            bound: f.tail.bound.max(1.0),
            fallible: f.taking == Taking::Try,
        };
        Some((f, sig))
    }

    /// The main function's parameters: `p: &Model`, one or two floats (differentiated or
    /// constants), sometimes a slice of matrices, a `&Vec<Layer>` and a constant slice of
    /// vectors.
    fn model_params(&mut self, models: &Models) -> Vec<Param> {
        let mut params = vec![struct_param("p", Ty::Model(Kind::Model))];
        for name in ["x", "a"].iter().take(self.rng.random_range(1..=2)) {
            let t = self.float_ty();
            let mut x = self.float_param(name, t);
            x.diff = self.chance(0.7);
            params.push(x);
        }
        if !self.shapes.is_empty() && self.chance(0.3) {
            let shape = self.shapes[self.rng.random_range(0..self.shapes.len())];
            let len = self.rng.random_range(1..=3);
            params.push(struct_param("ws", Ty::Mats { shape, len }));
        }
        let layer = models.structs.iter().any(|d| d.kind == Kind::Layer);
        let in_model = models
            .def(Kind::Model)
            .fields
            .iter()
            .any(|f| matches!(f.ty, FieldTy::Layers(_)));
        if layer && (!in_model || self.chance(0.25)) {
            let len = self.rng.random_range(1..=3);
            params.push(struct_param("layers", Ty::Layers(len)));
        }
        if self.on(Family::Dynamic) && self.chance(0.3) {
            let (n, len) = (self.size(), self.rng.random_range(1..=3));
            params.push(Param {
                name: "xs".into(),
                ty: Ty::Slice { n, len },
                by_ref: true,
                diff: false,
                fixed: None,
            });
        }
        params
    }

    /// A float, or (a fifth of the time, with `matrix_output`) a matrix.
    fn model_ret(&mut self) -> Ty {
        if self.on(Family::MatrixOutput) && !self.shapes.is_empty() && self.chance(0.2) {
            self.mark(Family::MatrixOutput);
            Ty::Mat(self.shapes[self.rng.random_range(0..self.shapes.len())])
        } else {
            Ty::Scalar
        }
    }

    /// A function of `params` (its differentiated ones named in `#[grad(..)]`): statements
    /// reaching the fields (`body`) among the other generators' statements, and a tail
    /// reading the loops' carried values and a field.
    fn model_function(
        &mut self,
        name: &str,
        params: Vec<Param>,
        ret: Ty,
        models: &Models,
        part: Option<PartFn>,
        helper: bool,
    ) -> Function {
        self.scopes.clear();
        let mut ctx = self.declare_model_params(models, &params);
        ctx.part = part;
        self.push();
        let count = if helper {
            self.rng.random_range(1..=3)
        } else {
            self.rng.random_range(2..=6)
        };
        let mut body = Vec::new();
        for _ in 0..count {
            if self.chance(0.55) {
                self.model_stmt(&mut body, &mut ctx);
            } else {
                self.stmt_into(&mut body);
            }
        }
        let tail = self.model_tail(ret, &ctx);
        self.scopes.clear();
        let grad_list = params
            .iter()
            .filter(|p| p.diff)
            .map(|p| p.name.clone())
            .collect();
        let mut f = Function {
            name: name.into(),
            params,
            grad_list: Some(grad_list),
            ret,
            body,
            tail,
            taking: Taking::Unwrap,
            forward: self.forward,
            checkpoint: false,
        };
        self.choose_checkpoint(&mut f);
        self.choose_taking(&mut f, helper);
        f
    }

    /// Declares the parameters (the fields of structs, the elements of slices at each index)
    /// in a new scope; the context of the function's collections.
    fn declare_model_params(&mut self, models: &Models, params: &[Param]) -> Ctx {
        self.push();
        let mut ctx = Ctx {
            models: Some(models.clone()),
            ..Ctx::default()
        };
        for p in params {
            self.declare(Var {
                name: p.name.clone(),
                ty: p.ty,
                bound: 1.0,
                mutable: false,
                is_ref: p.by_ref,
                active: p.diff,
                capturable: !p.diff && p.ty == Ty::Scalar,
                max: 0,
            });
            match p.ty {
                Ty::Model(k) => self.declare_fields(models, &mut ctx, &p.name, k, p.diff),
                Ty::Mats { shape, len } => {
                    self.declare_coll(models, &mut ctx, &p.name, Ty::Mat(shape), len, p.diff)
                }
                Ty::Layers(len) => {
                    let layer = Ty::Model(Kind::Layer);
                    self.declare_coll(models, &mut ctx, &p.name, layer, len, p.diff);
                }
                Ty::Slice { n, len } => {
                    let v = Ty::Mat(Shape::dvec(n));
                    ctx.colls.push(body::Coll::new(&p.name, v, len, false));
                }
                _ => {}
            }
        }
        ctx
    }
}

/// A differentiated parameter taken by reference.
fn struct_param(name: &str, ty: Ty) -> Param {
    Param {
        name: name.into(),
        ty,
        by_ref: true,
        diff: true,
        fixed: None,
    }
}

/// A struct of these field types, named in order (`w`, `b`, .. for floats; `layers`,
/// `inner`, `gains` or `vs`, `n`, `temp`), or numbered in a tuple struct.
fn def(kind: Kind, tuple: bool, tys: Vec<FieldTy>) -> StructDef {
    let mut floats = NAMES.iter();
    let fields = tys
        .into_iter()
        .enumerate()
        .map(|(i, ty)| {
            let name = match ty {
                _ if tuple => i.to_string(),
                FieldTy::Float(_) => floats.next().expect("few fields").to_string(),
                FieldTy::Layers(_) => "layers".into(),
                FieldTy::Nested => "inner".into(),
                FieldTy::Array(Ty::Scalar, _) => "gains".into(),
                FieldTy::Array(..) => "vs".into(),
                FieldTy::Skip(_) => "n".into(),
                FieldTy::Frozen(_) => "temp".into(),
            };
            Field { name, ty }
        })
        .collect();
    StructDef {
        kind,
        tuple,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::MODELS_SHARE;
    use crate::emit;
    use crate::family::{Family, FamilySet};
    use crate::gen::generate;
    use crate::model::Kind;
    use crate::program_seed;

    /// The family only adds: a program generated with it has the functions and rules of the
    /// one generated without it, and one that does not take it has the same module; about
    /// [`MODELS_SHARE`] of the programs take it, a third of those `forward`.
    #[test]
    fn models_only_add_structs_and_functions() {
        let mut without = FamilySet::all();
        without.remove(Family::Models);
        let (mut taken, mut forward) = (0, 0);
        for k in 0..200 {
            let seed = program_seed(2026, k);
            let (a, b) = (
                generate(k, seed, without),
                generate(k, seed, FamilySet::all()),
            );
            assert!(a.models.is_none());
            let render = |p: &crate::ast::Program| -> Vec<String> {
                p.funcs.iter().map(|f| f.render()).collect()
            };
            assert_eq!(render(&a), render(&b));
            let rules = |p: &crate::ast::Program| -> Vec<String> {
                p.vjps.iter().map(|v| v.source.clone()).collect()
            };
            assert_eq!(rules(&a), rules(&b));
            let Some(m) = &b.models else {
                assert_eq!(emit::module(&a).source, emit::module(&b).source);
                continue;
            };
            taken += 1;
            forward += usize::from(m.funcs.iter().any(|f| f.forward));
            assert!(b.families.has(Family::Models));
            let main = m.funcs.last().expect("the main function");
            assert_eq!(main.params[0].name, "p");
            assert!(main.grad_list.as_ref().is_some_and(|l| l[0] == "p"));
            assert!(m.entries(crate::ty::Ty::Model(Kind::Model)) > 0);
            let source = emit::module(&b).source;
            assert!(source.contains(&format!(".{}(q)", emit::models::UNFLATTEN)));
        }
        let expected = MODELS_SHARE * 200.0;
        assert!(
            (taken as f64 - expected).abs() <= 25.0,
            "{taken} of 200 programs take `models`"
        );
        assert!(
            forward * 5 <= taken * 3,
            "{forward} of {taken} take `forward`"
        );
    }
}
