//! The forward companions, with `#[grad(.., forward)]`, all from the body's tangent program
//! (`tangent::jvp`):
//!
//! - `fn f_jvp(<f's arguments>, <a direction per differentiated parameter>) -> (value, tangent)`:
//!   the tangent program's forward sweep;
//! - `fn f_hvp(<f's arguments>, <directions>) -> (value, FGrad, FGrad)`: the value, the
//!   gradient and H·v, from the tangent program's reverse sweep (the cotangents of the
//!   directions and of the parameters);
//! - `fn f_hessian(<f's arguments>) -> (value, FGrad, DMatrix<T>)`: one HVP per entry;
//! - `fn f_jacobian(<f's arguments>) -> (value, DMatrix<T>)`: by the pullback (one sweep per
//!   output entry) or by JVPs (one per input entry), whichever takes fewer.

use super::companions::Companions;
use super::items;
use crate::analysis::aliases;
use crate::analysis::Tables;
use crate::codegen::chunks::chunked;
use crate::codegen::{sweeps, Locals, Seed};
use crate::ir::{Body, ValueId};
use crate::names::Names;
use crate::parse::Output;
use crate::tangent::{self, Jvp};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use std::borrow::Cow;
use syn::Ident;

/// A differentiated parameter: its name, value type, binding in the tangent program and its
/// direction's binding.
pub(super) struct Direction<'a> {
    pub ident: &'a Ident,
    pub ty: &'a syn::Type,
    pub param: ValueId,
    pub direction: Ident,
    pub direction_id: ValueId,
    pub by_ref: bool,
}

impl Companions<'_> {
    /// The four forward companions of `primal` (the body before `#[cfg]` aliases), or the
    /// error for what forward mode cannot differentiate.
    pub(super) fn forward_companions(
        &self,
        primal: &Body,
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let jvp = match tangent::jvp(primal, names, &locals.rt) {
            Ok(j) => j,
            Err(e) => return e.to_compile_error(),
        };
        let dirs = self.directions(&jvp);
        let mut out = self.jvp_fn(&jvp, &dirs, names, locals);
        if !self.output_is_matrix() {
            out.extend(self.hvp_fn(&jvp, &dirs, names, locals));
            out.extend(self.hessian_fn(&dirs));
        }
        out.extend(self.jacobian_fn(&dirs));
        out.extend(self.tangent_vjp_item(&jvp, &dirs, names, locals));
        out
    }

    fn directions<'s>(&'s self, jvp: &Jvp) -> Vec<Direction<'s>> {
        self.sig
            .params
            .iter()
            .filter(|p| p.differentiated)
            .filter_map(|p| {
                let ident = p.ident.as_ref()?;
                let param = self.body.param(ident)?;
                let (_, d) = jvp.directions.iter().find(|(x, _)| *x == param)?;
                Some(Direction {
                    ident,
                    ty: &p.value_ty,
                    param,
                    direction: jvp.body.values[*d].name.clone(),
                    direction_id: *d,
                    by_ref: p.by_ref,
                })
            })
            .collect()
    }

    /// A companion's name: `<f>_<suffix>`.
    pub(super) fn companion_name(&self, suffix: &str) -> Ident {
        format_ident!(
            "{}_{suffix}",
            self.fn_name.to_string().trim_start_matches("r#")
        )
    }

    /// A companion function with the function's own parameters (and `extra` after them).
    pub(super) fn companion(
        &self,
        name: &Ident,
        extra: TokenStream,
        returns: TokenStream,
        doc: String,
        body: TokenStream,
        scalar_only: bool,
    ) -> TokenStream {
        let (vis, attrs, krate) = (&self.func.vis, &self.attrs, self.krate);
        let mut generics = items::generics(self.func, self.sig, krate, None);
        if scalar_only && self.sig.output == Output::Other {
            let (output_ty, fn_name) = (&self.output_ty, self.fn_name);
            let bound = Ident::new(crate::ops::helpers::SCALAR_OUTPUT, Span::call_site());
            generics.make_where_clause().predicates.push(
                syn::parse_quote!(for<'__grad> #output_ty: #krate::__private::#bound<#fn_name>),
            );
        }
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(self.func, None);
        let returns = self.returns(returns);
        quote! {
            #[doc = #doc]
            #(#attrs)*
            #[allow(dead_code, unused_mut, unused_variables, unused_braces, unreachable_code, non_snake_case, clippy::all)]
            #vis fn #name #impl_generics (#inputs #extra) -> #returns #where_clause {
                #body
            }
        }
    }

    /// `let p_dot = &*clean_direction(p_dot);` for each direction of a parameter of the
    /// user's own type: its skipped fields are zeroed (a copy, where the type has any), so
    /// that a skipped field read in the function has no tangent.
    fn clean_directions(&self, jvp: &Jvp, dirs: &[Direction], names: &mut Names) -> TokenStream {
        let krate = self.krate;
        dirs.iter()
            .filter(|d| {
                matches!(
                    jvp.body.values[d.param].kind,
                    crate::ir::Kind::Param {
                        structured: true,
                        ..
                    }
                )
            })
            .map(|d| {
                let n = &d.direction;
                let clean = names.fresh(&format!("{n}_clean"), n.span());
                quote! {
                    let #clean = #krate::__private::clean_direction(#n);
                    let #n = ::core::ops::Deref::deref(&#clean);
                }
            })
            .collect()
    }

    /// `, x_dot: &X, ..`: the directions as parameters.
    fn direction_params(&self, dirs: &[Direction]) -> TokenStream {
        let params = dirs.iter().map(|d| {
            let (n, t) = (&d.direction, d.ty);
            quote!(, #n: &#t)
        });
        quote!(#(#params)*)
    }

    /// A kept value moved out, or copied from a reference binding.
    fn taken(&self, jvp: &Jvp, t: &Tables, id: ValueId) -> TokenStream {
        let name = &jvp.body.values[id].name;
        if t.bindings.reference[id] {
            quote!(::core::clone::Clone::clone(#name))
        } else {
            quote!(#name)
        }
    }

    fn jvp_fn(
        &self,
        jvp: &Jvp,
        dirs: &[Direction],
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let t = Tables::forward_only(&jvp.body);
        let jvp = aliased(jvp, &t);
        let jvp = &*jvp;
        let s = sweeps(&jvp.body, &t, names, locals, Seed::One);
        let value = self.taken(jvp, &t, jvp.value);
        let tangent = self.taken(jvp, &t, jvp.tangent);
        let result = quote!((#value, #tangent));
        let forward = chunked(s.forward.clone(), &[&result], &s.references);
        let result = self.ok(result);
        let shadows = items::shadows(names.generated(), &forward, self.krate, Some(&locals.rt));
        let clean = self.clean_directions(jvp, dirs, names);
        let output_ty = &self.output_ty;
        let fn_name = self.fn_name;
        let doc = format!(
            "The value of [`{fn_name}`] and its directional derivative J·v along the directions `{}` of {} \
             (forward mode, generated by `#[grad]`){}.",
            direction_names(dirs),
            super::differentiated_list(self.sig),
            self.fallible_doc()
        );
        self.companion(
            &self.companion_name("jvp"),
            self.direction_params(dirs),
            quote!((#output_ty, #output_ty)),
            doc,
            quote!(#shadows #clean #forward #result),
            false,
        )
    }

    fn hvp_fn(
        &self,
        jvp: &Jvp,
        dirs: &[Direction],
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let t = Tables::of(&jvp.body, true);
        let jvp = aliased(jvp, &t);
        let jvp = &*jvp;
        let s = sweeps(&jvp.body, &t, names, locals, Seed::One);
        let grad_struct = &self.grad_struct;
        let field = |id: &dyn Fn(&Direction) -> ValueId| {
            let fields = dirs.iter().map(|d| {
                let f = items::finish_like(&jvp.body, id(d), d.param, &s.slots, self.krate);
                let ident = d.ident;
                quote!(#ident: #f)
            });
            quote!(#grad_struct { #(#fields),* })
        };
        let gradient = field(&|d| d.direction_id);
        let hv = field(&|d| d.param);
        let value = self.taken(jvp, &t, jvp.value);
        let (forward, reverse) = (&s.forward, &s.reverse);
        let result = quote!((#value, #gradient, #hv));
        let forward = chunked(forward.clone(), &[reverse, &result], &s.references);
        let result = self.ok(result);
        let clean = self.clean_directions(jvp, dirs, names);
        let body = quote!(#clean #forward #reverse #result);
        let shadows = items::shadows(names.generated(), &body, self.krate, Some(&locals.rt));
        let (output_ty, struct_args, fn_name) = (&self.output_ty, &self.struct_args, self.fn_name);
        let doc = format!(
            "The value of [`{fn_name}`], its gradient and the Hessian-vector product H·v with the directions `{}` \
             of {}, in one forward and one reverse sweep (generated by `#[grad]`){}.",
            direction_names(dirs),
            super::differentiated_list(self.sig),
            self.fallible_doc()
        );
        self.companion(
            &self.companion_name("hvp"),
            self.direction_params(dirs),
            quote!((#output_ty, #grad_struct #struct_args, #grad_struct #struct_args)),
            doc,
            quote!(#shadows #body),
            true,
        )
    }
}

impl Companions<'_> {
    /// Per parameter: its direction as `tangent_vjp` takes it (`x_dot: &X`, or `_: &()` for
    /// a constant), that direction's type, and the type of its cotangent (`X` or `()`).
    fn tangent_vjp_directions(
        &self,
        dirs: &[Direction],
    ) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
        let (mut params, mut tys, mut cotangents) = (Vec::new(), Vec::new(), Vec::new());
        for p in &self.sig.params {
            match dirs.iter().find(|d| Some(d.ident) == p.ident.as_ref()) {
                Some(d) => {
                    let (n, ty) = (&d.direction, d.ty);
                    let cotangent = super::gradient::gradient_type(ty);
                    params.push(quote!(#n: &#ty));
                    tys.push(quote!(&#ty));
                    cotangents.push(quote!(#cotangent));
                }
                None => {
                    params.push(quote!(_: &()));
                    tys.push(quote!(&()));
                    cotangents.push(quote!(()));
                }
            }
        }
        (params, tys, cotangents)
    }

    /// `impl f { fn tangent_vjp(args.., directions..) }`: the tangent of the value and a
    /// pullback to every argument's and direction's cotangent, for `#[grad]` functions that
    /// call this one in their own tangent programs. Every parameter has a direction, `&()`
    /// for those not differentiated.
    fn tangent_vjp_item(
        &self,
        jvp: &Jvp,
        dirs: &[Direction],
        names: &mut Names,
        locals: &Locals,
    ) -> TokenStream {
        let fn_name = self.fn_name;
        let (attrs, krate) = (&self.attrs, self.krate);
        let func = items::without_impl_trait(self.func);
        let generics = items::generics(&func, self.sig, krate, None);
        let (impl_generics, _, where_clause) = generics.split_for_impl();
        let inputs = items::inputs(&func, None);
        let (closure_params, closure_tys) = items::closure_inputs(&func);
        let (dir_params, dir_tys, cotangent_tys) = self.tangent_vjp_directions(dirs);
        let (mut results, mut dir_results) = (Vec::new(), Vec::new());
        let t = Tables::of(&jvp.body, false);
        let jvp = aliased(jvp, &t);
        let jvp = &*jvp;
        let output_ty = &self.output_ty;
        let all_closure_params = quote!(#(#closure_params,)* #(#dir_params),*);
        let parts = self.pullback_parts_of(
            &jvp.body,
            output_ty,
            &t,
            names,
            locals,
            Some(&all_closure_params),
            |slots| {
                for p in &self.sig.params {
                    let d = dirs.iter().find(|d| Some(d.ident) == p.ident.as_ref());
                    results.push(match d {
                        Some(d) => items::finish(&jvp.body, d.param, slots, krate),
                        None => quote!(()),
                    });
                    dir_results.push(match d {
                        Some(d) => items::finish(&jvp.body, d.direction_id, slots, krate),
                        None => quote!(()),
                    });
                }
                quote!((#(#results,)* #(#dir_results,)*))
            },
        );
        let shadows = items::shadows(names.generated(), &parts, krate, Some(&locals.rt));
        let param_tys = &cotangent_tys;
        let captured = items::type_and_const_params(&func);
        let returns = self.returns(quote!((#output_ty, impl ::core::ops::Fn(&#output_ty, &#output_ty, #(#closure_tys,)* #(#dir_tys),*) -> (#(#param_tys,)* #(#cotangent_tys,)*) + use<#(#captured),*>)));
        quote! {
            #(#attrs)*
            impl #fn_name {
                /// The tangent of the value along the directions (one per parameter, `&()` for
                /// those not differentiated) and its pullback to every argument's and
                /// direction's cotangent; used by `#[grad]` functions that call this one in
                /// their forward companions.
                #[doc(hidden)]
                #[allow(dead_code, unused_mut, unused_variables, unused_braces, non_snake_case, clippy::all)]
                pub fn tangent_vjp #impl_generics (#inputs, #(#dir_params),*) -> #returns #where_clause
                {
                    #shadows
                    #parts
                }
            }
        }
    }
}

/// The directions' names for docs: `x_dot`, `w_dot` (joined by "`, `").
fn direction_names(dirs: &[Direction]) -> String {
    dirs.iter()
        .map(|d| d.direction.to_string())
        .collect::<Vec<_>>()
        .join("`, `")
}

/// `jvp` with its `#[cfg]` branches' merged values renamed after their configured-out
/// bindings where the sweeps that `t` describes allow it (`analysis::aliases`): a copy where
/// there is something to rename, `jvp` itself otherwise.
fn aliased<'j>(jvp: &'j Jvp, t: &Tables) -> Cow<'j, Jvp> {
    let renames = aliases::cfg_renames(&jvp.body, t);
    if renames.is_empty() {
        return Cow::Borrowed(jvp);
    }
    let mut owned = jvp.clone();
    aliases::rename(&mut owned.body, &renames);
    Cow::Owned(owned)
}
