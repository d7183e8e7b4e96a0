//! The generator exercises fusion: among its programs' `#[grad]` functions, the macro fuses
//! element-wise chains, chains that end in a reduction, and values computed again in two
//! chains, often enough that the corpus and every difftest run check them against finite
//! differences. Counted from the macro's own expansion of each generated function.

use matgrad_difftest::family::FamilySet;
use matgrad_difftest::{gen, program_seed};
use quote::ToTokens;

/// How many generated programs are expanded.
const PROGRAMS: usize = 60;

#[test]
fn generated_programs_exercise_every_kind_of_fused_chain() {
    let (mut functions, mut maps, mut reductions, mut pullbacks) = (0, 0, 0, 0);
    for k in 0..PROGRAMS {
        let program = gen::generate(k, program_seed(7, k), FamilySet::all());
        let file: syn::File =
            syn::parse_str(&program.render_functions()).expect("a program parses");
        for item in file.items {
            let syn::Item::Fn(mut f) = item else { continue };
            let Some(at) = f.attrs.iter().position(|a| a.path().is_ident("grad")) else {
                continue;
            };
            let attr = f.attrs.remove(at);
            let args = match attr.meta {
                syn::Meta::List(l) => l.tokens,
                _ => Default::default(),
            };
            let out = matgrad_macros_core::expand_grad(
                args,
                f.to_token_stream(),
                &matgrad_macros_core::Context::default(),
            )
            .to_string();
            functions += 1;
            maps += usize::from(out.contains("fused_map"));
            reductions += usize::from(
                ["fused_sum", "fused_mean", "fused_row_", "fused_column_"]
                    .iter()
                    .any(|r| out.contains(r)),
            );
            pullbacks += usize::from(out.contains("fused_pullback"));
        }
    }
    eprintln!(
        "{functions} functions: {maps} with a fused map, {reductions} with a fused reduction, {pullbacks} with a fused pullback"
    );
    assert!(
        functions >= PROGRAMS,
        "every program has a #[grad] function"
    );
    for (what, n) in [
        ("maps", maps),
        ("reductions", reductions),
        ("pullbacks", pullbacks),
    ] {
        assert!(
            n * 20 >= functions,
            "fused {what} in {n} of {functions} generated functions: fewer than 1 in 20"
        );
    }
}
