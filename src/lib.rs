//! Facade (placeholder, filled in below).
pub use autodiff_macros::grad;
pub use autodiff_runtime as runtime;
#[doc(hidden)]
pub mod __private {
    pub use autodiff_runtime::*;
}
