//! Every VJP kernel of the runtime against central finite differences.
//!
//! Each kernel `y = op(x, ..)` is checked the same way (see [`common::check_vjp`]): for a
//! random cotangent `ḡ`, its pullback must match the finite-difference gradient of
//! `φ(x) = ⟨ḡ, op(x, ..)⟩`, for every input, on seeded random inputs of several shapes; and it
//! must accumulate into a filled slot. One module per file of `src/`, each ending with the
//! shape panics of its operations and an `f32` test of its family.

#[macro_use]
mod common;

mod activations;
mod broadcast;
mod check;
mod componentwise;
mod elementwise;
mod extrema;
mod factorisations;
mod index;
mod linalg;
mod linear;
mod owned;
mod products;
mod reductions;
mod transposed;
