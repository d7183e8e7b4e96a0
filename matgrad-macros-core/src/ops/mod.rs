//! The operation registry ([`table`]) and what is derived from it: lookups by syntax, the
//! runtime kernels' names, and the catalogue text of error messages and docs.

pub mod catalogue;
pub mod spec;
mod table;
pub mod tangent;
mod tangent_linalg;
mod tangent_spectral;

pub use spec::{BinaryOp, Domain, Extra, OpSpec, Pullback, Reuse, Side, Syntax};
pub use table::Op;

/// Methods that return a shape or a count: their result is a constant, whatever the receiver.
pub const SHAPE_METHODS: &[&str] = &["nrows", "ncols", "len", "shape", "is_empty", "is_square"];

/// Methods that return the index of an entry (the largest, the smallest, by absolute value):
/// piecewise constant in the entries, so a constant, whatever the receiver (as a comparison
/// in a condition is); unlike a shape, they read the entries.
pub const INDEX_METHODS: &[&str] = &["imax", "imin", "iamax", "iamin"];

/// How a pullback kernel receives its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullbackForm {
    /// The cotangent and the operands by reference.
    Borrowed,
    /// The cotangent by value (`_reuse_g`): the kernel writes the result over it.
    ReuseG,
    /// The operand by value (`_reuse_x`): the kernel writes its cotangent in its buffer.
    ReuseX,
}

impl Op {
    fn find(mut matches: impl FnMut(&Syntax) -> bool) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.spec().syntax.iter().any(&mut matches))
    }

    /// The operation a binary operator (or its compound assignment) stands for.
    pub fn by_binary(b: BinaryOp) -> Option<Op> {
        Op::find(|s| *s == Syntax::Binary(b))
    }

    /// The product with its `side` operand written `m.transpose()`.
    pub fn by_transposed_product(side: Side) -> Option<Op> {
        Op::find(|s| *s == Syntax::TransposedProduct(side))
    }

    /// Unary `-`.
    pub fn negation() -> Option<Op> {
        Op::find(|s| *s == Syntax::Negation)
    }

    /// `x[idx]`.
    pub fn index() -> Option<Op> {
        Op::find(|s| *s == Syntax::Index)
    }

    /// The operation of `recv.name(..)` with `args` arguments.
    pub fn by_method(name: &str, args: usize) -> Option<Op> {
        Op::find(|s| match *s {
            Syntax::Method { name: n, args: a } => n == name && a == args,
            Syntax::Identity { name: n } => n == name && args == 0,
            _ => false,
        })
    }

    /// The operation of `recv.first(args..).then()`.
    pub fn by_method_pair(first: &str, args: usize, then: &str) -> Option<Op> {
        Op::find(
            |s| matches!(*s, Syntax::MethodPair { first: f, args: a, then: t } if f == first && a == args && t == then),
        )
    }

    /// The `.then()` a `recv.first()` must be followed by, when `first` begins a pair.
    pub fn pair_completion(first: &str) -> Option<&'static str> {
        Op::ALL
            .iter()
            .flat_map(|op| op.spec().syntax)
            .find_map(|s| match *s {
                Syntax::MethodPair { first: f, then, .. } if f == first => Some(then),
                _ => None,
            })
    }

    /// The operation of `Type::name(args..)` for a matrix type.
    pub fn by_associated(name: &str, args: usize) -> Option<Op> {
        Op::find(
            |s| matches!(*s, Syntax::Associated { name: n, args: a } if n == name && a == args),
        )
    }

    /// The operation `Type::name(&[a, b, ..])` folds into.
    pub fn by_associated_array(name: &str) -> Option<Op> {
        Op::find(|s| matches!(*s, Syntax::AssociatedArray { name: n } if n == name))
    }

    /// The operation of reading the field `recv.name`.
    pub fn by_field(name: &str) -> Option<Op> {
        Op::find(|s| matches!(*s, Syntax::Field { name: n } if n == name))
    }

    /// The operation of `recv.field.then()`.
    pub fn by_field_pair(field: &str, then: &str) -> Option<Op> {
        Op::find(
            |s| matches!(*s, Syntax::FieldPair { field: f, then: t } if f == field && t == then),
        )
    }

    /// The `.then()` that must follow a read of `field`, when it holds an `Option`.
    pub fn field_completion(field: &str) -> Option<&'static str> {
        Op::ALL
            .iter()
            .flat_map(|op| op.spec().syntax)
            .find_map(|s| match *s {
                Syntax::FieldPair { field: f, then } if f == field => Some(then),
                _ => None,
            })
    }

    /// The operation of `f64::name(args..)` (or `f32::`, `T::`).
    pub fn by_function(name: &str, args: usize) -> Option<Op> {
        Op::find(|s| matches!(*s, Syntax::Function { name: n, args: a } if n == name && a == args))
    }

    /// Whether the pullbacks read the operation's result: `(x, extras.., y)` for one operand,
    /// `(a, b, extras.., y)` for two where the entry says so.
    pub fn pullback_reads_result(self) -> bool {
        let spec = self.spec();
        spec.operands == 1 || spec.reads_result
    }

    /// Whether the operation is internal: written by no syntax, built only by the tangent
    /// rules (and left out of the catalogue).
    pub fn is_internal(self) -> bool {
        self.spec().syntax.is_empty()
    }

    /// Whether the value of `recv.name()` is the receiver itself (`.clone()`).
    pub fn is_identity(self) -> bool {
        self.spec()
            .syntax
            .iter()
            .any(|s| matches!(s, Syntax::Identity { .. }))
    }

    /// The runtime primal; with `reuse`, the variant computing in that operand's buffer.
    pub fn forward_kernel(self, reuse: Option<Side>) -> String {
        let k = self.spec().kernel;
        match (reuse, self.spec().operands) {
            (None, _) => k.to_string(),
            (Some(_), 1) => format!("{k}_reuse"),
            (Some(Side::Lhs), _) => format!("{k}_reuse_lhs"),
            (Some(Side::Rhs), _) => format!("{k}_reuse_rhs"),
        }
    }

    /// The runtime forward kernel that returns the `Option` the user's `.unwrap()` (or
    /// `.expect(msg)`) completes: `<kernel>_checked`.
    pub fn checked_kernel(self) -> String {
        format!("{}_checked", self.spec().kernel)
    }

    /// Whether the operation is written with an `Option` the user unwraps
    /// (`m.try_inverse().unwrap()`), which `.expect(msg)` may complete instead.
    pub fn unwraps(self) -> bool {
        self.spec().syntax.iter().any(|s| {
            matches!(
                s,
                Syntax::MethodPair { then: "unwrap", .. }
                    | Syntax::FieldPair { then: "unwrap", .. }
            )
        })
    }

    /// The runtime pullback to both operands at once (`OpSpec::joint_pullback`).
    pub fn joint_pullback_kernel(self) -> String {
        format!("{}_pullback_both", self.spec().kernel)
    }

    /// The runtime pullback to operand `k` in the given form.
    pub fn pullback_kernel(self, k: usize, form: PullbackForm) -> String {
        let spec = self.spec();
        let side = match (spec.operands, k) {
            (1, _) => "",
            (_, 0) => "_lhs",
            _ => "_rhs",
        };
        let suffix = match form {
            PullbackForm::Borrowed => "",
            PullbackForm::ReuseG => "_reuse_g",
            PullbackForm::ReuseX => "_reuse_x",
        };
        format!("{}_pullback{side}{suffix}", spec.kernel)
    }

    /// The deferred left pullback of a product in a loop: (one iteration's, all at once).
    pub fn deferred_kernels(self) -> (String, String) {
        let k = self.spec().kernel;
        (
            format!("{k}_pullback_lhs_later"),
            format!("{k}_pullback_lhs_all"),
        )
    }

    /// Every runtime kernel the entry names.
    pub fn kernels(self) -> Vec<String> {
        let spec = self.spec();
        let mut out = Vec::new();
        if !spec.forward_as_written {
            out.push(self.forward_kernel(None));
        }
        if self.unwraps() {
            out.push(self.checked_kernel());
        }
        if spec.reuse.forward_lhs {
            out.push(self.forward_kernel(Some(Side::Lhs)));
        }
        if spec.reuse.forward_rhs {
            out.push(self.forward_kernel(Some(Side::Rhs)));
        }
        if spec.pullback == Pullback::Kernel {
            for k in 0..spec.operands {
                out.push(self.pullback_kernel(k, PullbackForm::Borrowed));
                if spec.reuse.pullback_g[k] {
                    out.push(self.pullback_kernel(k, PullbackForm::ReuseG));
                }
            }
            if spec.reuse.pullback_x {
                out.push(self.pullback_kernel(0, PullbackForm::ReuseX));
            }
        }
        if spec.reuse.deferred_lhs {
            let (later, all) = self.deferred_kernels();
            out.extend([later, all]);
        }
        if spec.joint_pullback {
            out.push(self.joint_pullback_kernel());
        }
        out
    }
}

/// Every runtime item the generated code may name: each operation's kernels and the helpers.
pub fn runtime_items() -> Vec<String> {
    let mut out: Vec<String> = Op::ALL.iter().flat_map(|op| op.kernels()).collect();
    out.extend(helpers::all().into_iter().map(String::from));
    out.sort();
    out.dedup();
    out
}

/// The runtime's helpers the generated code calls besides the operations' kernels.
pub mod helpers {
    /// An empty adjoint slot typed like a value.
    pub const SLOT: &str = "slot";
    /// An empty adjoint slot typed like a parameter's gradient (a `Vec` for a slice).
    pub const PARAM_SLOT: &str = "param_slot";
    /// A zero-sized witness of a value's type, taken before the value is moved.
    pub const TYPE_WITNESS: &str = "type_witness";
    /// An empty adjoint slot typed by a witness.
    pub const SLOT_OF: &str = "slot_of";
    /// The adjoint slot of a scalar output, seeded with one.
    pub const SEED: &str = "seed";
    /// One, typed like a scalar output (the cotangent of `_grad` through `vjp`).
    pub const ONE: &str = "one";
    /// A parameter's finished gradient (zeros for an empty slot).
    pub const FINISH: &str = "finish";
    /// The pullback of a place inside a parameter of the user's own type (`p.w1`).
    pub const PROJECT_PULLBACK: &str = "project_pullback";
    /// `slot += other` for two slots.
    pub const MERGE: &str = "merge";
    /// `slot += c` for a called function's cotangent of an argument.
    pub const ACCUMULATE_ARGUMENT: &str = "accumulate_argument";
    /// The iterations per stretch of a checkpointed loop of T iterations: ⌈√T⌉.
    pub const CHECKPOINT_STRIDE: &str = "checkpoint_stride";
    /// A reference to a value or to a reference to one, as `&T`.
    pub const AS_VALUE: &str = "as_value";
    /// Passing a cotangent through unchanged, by reference and by value.
    pub const PASS: [&str; 2] = ["pass_through", "pass_through_reuse_g"];
    /// Passing a cotangent through negated, by reference and by value.
    pub const PASS_NEGATED: [&str; 2] = ["pass_negated", "pass_negated_reuse_g"];
    /// `x.map(f)`, and in a temporary's buffer.
    pub const MAP: [&str; 2] = ["map", "map_reuse"];
    /// The pullback of `x.map(f)`, by reference and with the cotangent by value.
    pub const MAP_PULLBACK: [&str; 2] = ["map_pullback", "map_pullback_reuse_g"];
    /// The pullback of `x.map(f)` whose closure reads differentiated values.
    pub const MAP_PULLBACK_CAPTURES: &str = "map_pullback_captures";
    /// `x.zip_map(&y, f)` and its pullback.
    pub const ZIP_MAP: &str = "zip_map";
    pub const ZIP_MAP_PULLBACK: &str = "zip_map_pullback";
    /// The right operand of a deferred product, kept until the end of the loop.
    pub const KEEP: &str = "keep";
    /// The bound that makes `_grad` of a non-float function a clear error.
    pub const SCALAR_OUTPUT: &str = "ScalarOutput";
    /// The dummy imported under each generated name.
    pub const SHADOW: &str = "shadow";
    /// Gives a dead value's buffers to the installed workspace (`#[grad(.., workspace)]`).
    pub const RECYCLE: &str = "recycle";
    /// Gives a loop's deferred products' cotangents and copies to the installed workspace.
    pub const RECYCLE_PAIRS: &str = "recycle_pairs";
    /// A copy in a buffer from the installed workspace.
    pub const CLONE_POOLED: &str = "clone_pooled";
    /// The drivers of a long function's pullback nodes (`codegen::nodes`),
    /// `pull<arguments between ḡ and the slot>_<ḡ borrowed or owned by each kernel>`.
    pub const PULL: &[&str] = &[
        "pull0_o",
        "pull0_r",
        "pull2_o",
        "pull2_r",
        "pull3_o",
        "pull3_r",
        "pull0_ro",
        "pull0_rr",
        "pull0_ro_same",
        "pull0_rr_same",
        "pull2_ro",
        "pull2_rr",
        "pull2_ro_same",
        "pull2_rr_same",
    ];

    /// Every helper, for the test that they exist.
    pub fn all() -> Vec<&'static str> {
        let mut out = vec![
            SLOT,
            TYPE_WITNESS,
            SLOT_OF,
            SEED,
            ONE,
            FINISH,
            MERGE,
            ACCUMULATE_ARGUMENT,
            AS_VALUE,
            KEEP,
            MAP_PULLBACK_CAPTURES,
            ZIP_MAP,
            ZIP_MAP_PULLBACK,
            SCALAR_OUTPUT,
            SHADOW,
            RECYCLE,
            RECYCLE_PAIRS,
            CLONE_POOLED,
        ];
        out.extend(PASS);
        out.extend(PASS_NEGATED);
        out.extend(MAP);
        out.extend(MAP_PULLBACK);
        out.extend(PULL);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_complete_and_every_syntax_names_one_operation() {
        let mut seen: Vec<Syntax> = Vec::new();
        for &op in Op::ALL {
            let spec = op.spec();
            assert!(!spec.kernel.is_empty(), "{op:?} has no kernel");
            assert!(!spec.label.is_empty(), "{op:?} has no graph label");
            assert!(!spec.formula.is_empty(), "{op:?} has no formula");
            assert!(!spec.doc.is_empty(), "{op:?} has no description");
            // An internal operation (no syntax) is one only tangent rules build.
            assert!(
                !spec.syntax.is_empty() || op.is_internal(),
                "{op:?} cannot be written"
            );
            assert!((1..=2).contains(&spec.operands), "{op:?}");
            for s in spec.syntax {
                assert!(!seen.contains(s), "{s:?} names two operations");
                seen.push(*s);
            }
        }
    }

    #[test]
    fn lookups_find_entries_by_their_syntax() {
        assert_eq!(Op::by_binary(BinaryOp::Mul), Some(Op::Mul));
        assert_eq!(Op::by_method("dot", 1), Some(Op::Dot));
        assert_eq!(Op::by_method("dot", 0), None);
        assert_eq!(Op::by_method("clone", 0), Some(Op::Identity));
        assert_eq!(
            Op::by_method_pair("try_inverse", 0, "unwrap"),
            Some(Op::Inverse)
        );
        assert_eq!(Op::pair_completion("try_inverse"), Some("unwrap"));
        assert_eq!(Op::by_function("sqrt", 1), Some(Op::Sqrt));
        assert_eq!(Op::by_transposed_product(Side::Lhs), Some(Op::MulTn));
    }

    #[test]
    fn kernel_names_follow_one_scheme() {
        assert_eq!(Op::Add.forward_kernel(Some(Side::Rhs)), "add_reuse_rhs");
        assert_eq!(Op::Neg.forward_kernel(Some(Side::Lhs)), "neg_reuse");
        assert_eq!(
            Op::Mul.pullback_kernel(0, PullbackForm::ReuseG),
            "mul_pullback_lhs_reuse_g"
        );
        assert_eq!(
            Op::Norm.pullback_kernel(0, PullbackForm::ReuseX),
            "norm_pullback_reuse_x"
        );
        assert!(Op::Mul
            .kernels()
            .contains(&"mul_pullback_lhs_all".to_string()));
        assert_eq!(Op::Add.kernels(), ["add", "add_reuse_lhs", "add_reuse_rhs"]);
    }
}
