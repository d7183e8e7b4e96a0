//! Construct families: the switches that turn parts of the generator on and off, and the
//! sets of them that a program uses (for the per-family summary).

use std::fmt;

macro_rules! families {
    ($($(#[doc = $doc:literal])* $v:ident = $name:literal,)*) => {
        /// A family of constructs the generator can emit, each switchable.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Family {
            $($(#[doc = $doc])* $v,)*
        }
        impl Family {
            /// Every family, in declaration order.
            pub const ALL: &'static [Family] = &[$(Family::$v,)*];
            /// The family's name on the command line and in reports.
            pub fn name(self) -> &'static str {
                match self { $(Family::$v => $name,)* }
            }
        }
    };
}

families! {
    /// `DMatrix`, `DVector`, `RowDVector` parameters and values.
    Dynamic = "dynamic",
    /// `SMatrix`/`SVector` parameters and values (several shapes).
    Static = "static",
    /// Parameters taken by value (owned matrices, by-value scalars are always there).
    ByValue = "by_value",
    /// `#[grad(x, w)]` with a subset of the parameters.
    Subset = "subset",
    /// Non-differentiated parameters: `usize`, `f64` constants, `&[DVector<f64>]` slices.
    ConstParams = "const_params",
    /// `let` shadowing a binding of the same block.
    Shadowing = "shadowing",
    /// `+=`, `-=`, `*=`, `/=`.
    Compound = "compound",
    /// `m[(i, j)]`, `v[i]`, `.column(j)`, `.row(i)`; blocks (`.rows`, `.columns`, `.view`,
    /// `.diagonal()`), `from_diagonal`, `kronecker`, `from_columns`/`from_rows`; index queries
    /// (`.imax()`, ..) as indices.
    Indexing = "indexing",
    /// sum, mean, variance, norm(_squared), row_/column_ sum/mean/variance.
    Reductions = "reductions",
    /// Matrix products, `.transpose()`, `.tr_mul(&b)`, `.dot(&b)`.
    Products = "products",
    /// `.component_mul(&b)`, `.component_div(&b)`.
    Componentwise = "componentwise",
    /// `.trace()`, `.determinant()`, `.try_inverse().unwrap()`; `cholesky().unwrap()` with
    /// `.l()`, `.solve(&b)`, `.inverse()`, `.determinant()`, `.ln_determinant()`; `lu()` with
    /// `.solve(&b).unwrap()`, `.determinant()`, `.try_inverse().unwrap()`; the triangular solves;
    /// `symmetric_eigen()`, `symmetric_eigenvalues()`, `svd(true, true)`, `singular_values()`,
    /// `qr()` (`.q()`, `.r()`, `.solve(&b)`), a square matrix's `.exp()`.
    Linalg = "linalg",
    /// powi/sqrt/exp/ln/tanh/abs/sin/cos (and the others of the catalogue, `clamp`) on floats.
    FloatFns = "float_fns",
    /// `matgrad::Broadcast`'s broadcast_add/sub/mul/div.
    Broadcast = "broadcast",
    /// `matgrad::{sigmoid, tanh, relu, softplus, abs}`; `logsumexp`, `softmax`, `log_softmax`
    /// (of every entry, by rows, by columns), `logsumexp_rows`, `logsumexp_columns`.
    Activations = "activations",
    /// `.map(|v| ...)` closures (capturing constants, or values depending on a differentiated
    /// parameter) and `.map(f64::tanh)`.
    Map = "map",
    /// Block expressions `{ let t = ..; t * 2.0 }` inside map closures.
    MapBlock = "map_block",
    /// User variables named `x_bar`, `v_bar`, ... (captured by map closures too).
    BarNames = "bar_names",
    /// `for` loops over ranges (`0..n`, `.rev()`, `.step_by(k)`) with carried variables.
    Loops = "loops",
    /// `xs.iter()` and `.enumerate()` over a slice parameter.
    LoopIter = "loop_iter",
    /// Loops inside loops.
    NestedLoops = "nested_loops",
    /// Delay lines of carried variables `l3 = l2; l2 = l1; l1 = ..` (length 2..=3).
    DelayChain = "delay_chain",
    /// Delay lines of length 4..=7.
    LongDelayChain = "long_delay_chain",
    /// A `for` loop inside an `if` arm.
    LoopInBranch = "loop_in_branch",
    /// Variables assigned in some iterations only (inside an `if` in a loop).
    LoopCondAssign = "loop_cond_assign",
    /// `let` inside an `if` arm or loop body shadowing a variable the block also assigns.
    InnerShadow = "inner_shadow",
    /// `if`/`else` (statement, value, without else, else-if) on constant conditions.
    BranchConst = "branch_const",
    /// `if` conditions on differentiated values.
    BranchValue = "branch_value",
    /// Calls to other `#[grad]` functions.
    Calls = "calls",
    /// Calls to a function with a hand-written `#[vjp(rule)]`.
    Vjp = "vjp",
    /// `#[cfg(all())]` / `#[cfg(any())]` on `let` and expression statements.
    Cfg = "cfg",
    /// Block expressions as values.
    Blocks = "blocks",
    /// `if`/`else` as a value (an expression), not only as a statement.
    IfValue = "if_value",
    /// `let` statements inside the arms of `if` values.
    ArmLets = "arm_lets",
    /// Matrix-valued functions, checked through the pullback.
    MatrixOutput = "matrix_output",
    /// `match` on constants (`|` patterns, a guard), `if let` on a constant, and `match` on
    /// a comparison of a differentiated value.
    Match = "match",
    /// Closures defined in the function and called (`let cl = |t: f64| ..; cl(a)`).
    LocalClosures = "local_closures",
    /// A tenth of the functions padded with a chain of scalar statements to the macro's
    /// long-function size (400 values): its long-function code under random code.
    Long = "long",
    /// `forward` in every `#[grad(..)]` of a program (a quarter of them, from a random stream
    /// of its own), `#[jvp]` tangents for its rules: `f_jvp`, `f_hvp`, `f_hessian` checked.
    Forward = "forward",
    /// Parameters of the program's own types (a quarter of the programs, from a stream of
    /// their own): derived structs, `&[M]` and `&Vec<Layer>`, reached by fields, indices,
    /// loops and calls; checked over the flattened entries (`forward` in a third of them).
    Models = "models",
    /// `checkpoint` in the `#[grad(..)]` of half the functions that have a `for` loop at their
    /// top level (from a stream of its own): the loops' reverse sweeps replayed from saved
    /// states.
    Checkpoint = "checkpoint",
    /// Dynamic shapes and inner dimensions of 6 and 7 (a fifth of the programs that have
    /// dynamic shapes, from a stream of their own): products with every dimension above 5,
    /// which the runtime computes by its own small-product loop (nalgebra's products of such
    /// sizes went to matrixmultiply).
    Wide = "wide",
}

impl Family {
    /// The family of this name.
    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of families, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FamilySet(u64);

impl FamilySet {
    /// No family.
    pub const EMPTY: FamilySet = FamilySet(0);

    /// Every family.
    pub fn all() -> FamilySet {
        FamilySet::of(Family::ALL)
    }
    /// The set of the listed families.
    pub fn of(families: &[Family]) -> FamilySet {
        let mut s = FamilySet::EMPTY;
        for &f in families {
            s.insert(f);
        }
        s
    }
    /// Parses a comma-separated list of names; `all` means every family.
    pub fn parse(list: &str) -> Result<FamilySet, String> {
        let mut s = FamilySet::EMPTY;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                s = FamilySet::all();
            } else {
                s.insert(Family::parse(name).ok_or_else(|| format!("unknown family `{name}`"))?);
            }
        }
        Ok(s)
    }
    /// Adds a family.
    pub fn insert(&mut self, f: Family) {
        self.0 |= 1 << f as u64;
    }
    /// Removes a family.
    pub fn remove(&mut self, f: Family) {
        self.0 &= !(1 << f as u64);
    }
    /// Whether the family is in the set.
    pub fn has(self, f: Family) -> bool {
        self.0 & (1 << f as u64) != 0
    }
    /// The union.
    pub fn union(self, other: FamilySet) -> FamilySet {
        FamilySet(self.0 | other.0)
    }
    /// The families in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Family> {
        Family::ALL.iter().copied().filter(move |&f| self.has(f))
    }
}

impl fmt::Display for FamilySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Family::name).collect();
        f.write_str(&names.join(","))
    }
}
