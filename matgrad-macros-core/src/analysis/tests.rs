//! The analysis' tables for small bodies.

use super::{check, Activity, Tables};
use crate::error::Errors;
use crate::ir::Kind;
use crate::testing::{body, lowered, named};

#[test]
fn activity_reaches_the_end_of_a_chain_of_any_length() {
    // Each `lₖ` becomes varied one iteration later than `lₖ₋₁`: a fixed point, not one pass.
    let names = ["l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8"];
    let decls: String = names
        .iter()
        .map(|n| format!("let mut {n} = 0.0; "))
        .collect();
    let shifts: String = names
        .windows(2)
        .rev()
        .map(|p| format!("{} = {}; ", p[1], p[0]))
        .collect();
    let src = format!(
        "fn f(w: f64, n: usize) -> f64 {{ {decls} for _ in 0..n {{ {shifts} l1 = w * w; }} l8 }}"
    );
    let b = body(&src);
    let a = Activity::of(&b);
    let l = b.loops()[0];
    let label = |c: &crate::ir::Carried| b.values[c.phi].label.clone().unwrap_or_default();
    // `l8` is overwritten before it is read: only its value after the loop matters.
    let (last, links): (Vec<_>, Vec<_>) = l.carried.iter().partition(|c| label(c) == "l8");
    assert!(
        links.iter().all(|c| a.active(c.phi)),
        "every link is active"
    );
    assert!(a.active(last[0].out) && !a.active(last[0].phi));
    assert!(a.active(b.output.unwrap()));
}

#[test]
fn a_value_the_output_does_not_read_gets_no_adjoint() {
    let b = body("fn f(x: f64) -> f64 { let unused = x * 3.0; let y = x * 2.0; y }");
    let a = Activity::of(&b);
    let unused = named(&b, "unused");
    assert!(a.varied[unused] && !a.useful[unused]);
    assert!(a.active(named(&b, "y")));
}

#[test]
fn constants_are_evaluated_inside_the_expression_that_reads_them() {
    let b = body("fn f(x: f64, n: usize) -> f64 { let y = x * (n as f64 + 1.0); y }");
    let t = Tables::of(&b, true);
    let y = named(&b, "y");
    let Kind::Op { inputs, .. } = &b.values[y].kind else {
        panic!()
    };
    // `n as f64 + 1.0` feeds a kernel: bound; the cast inside it is not.
    assert!(t.bindings.bound[inputs[1]] && !t.bindings.by_kernel[inputs[1]]);
    let Kind::Op { inputs: inner, .. } = &b.values[inputs[1]].kind else {
        panic!()
    };
    assert!(!t.bindings.bound[inner[0]]);
}

#[test]
fn the_reverse_sweep_keeps_only_what_pullbacks_read() {
    let b = body("fn f(x: f64, y: f64) -> f64 { let s = x + y; let p = s * x; p.sin() }");
    let t = Tables::of(&b, true);
    assert!(!t.needed.needed[named(&b, "s")] || t.needed.needed[named(&b, "p")]);
    assert!(
        t.needed.needed[named(&b, "p")],
        "sin's pullback reads its input"
    );
}

#[test]
fn a_temporary_read_once_is_consumed() {
    let b = body("fn f(a: &DMatrix<f64>, x: &DVector<f64>, c: &DVector<f64>) -> f64 { let r = a * x - c; r.norm_squared() }");
    let owned = Tables::of(&b, true);
    let r = named(&b, "r");
    let Kind::Op { inputs, .. } = &b.values[r].kind else {
        panic!()
    };
    assert!(
        owned.reuse.consumable[inputs[0]],
        "`a * x` is computed into by the subtraction"
    );
    assert!(owned.reuse.consumed[r], "`_grad` writes r̄ = 2ḡr over `r`");
    assert!(
        !Tables::of(&b, false).reuse.consumed[r],
        "a pullback closure may run again"
    );
}

#[test]
fn products_with_a_left_operand_from_before_the_loop_wait_for_its_end() {
    let b = body("fn f(w: &DMatrix<f64>, xs: &[DVector<f64>]) -> f64 { let mut s = 0.0; for x in xs.iter() { let y = w * x; s += y.sum(); } s }");
    let t = Tables::of(&b, true);
    assert_eq!(t.deferred.products.len(), 1);
}

#[test]
fn unsupported_uses_are_reported_once_at_their_root() {
    let (_, b, _) = lowered("", "fn f(s: &DMatrix<f64>, c: &DVector<f64>) -> f64 { s.clone().full_piv_lu().solve(c).unwrap().sum() }");
    let mut errors = Errors::default();
    check::check(&b, &Activity::of(&b), &mut errors);
    let messages = errors.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("`.full_piv_lu()` has no derivative rule"),
        "{messages:?}"
    );
}

#[test]
fn constants_may_use_anything() {
    let (_, b, _) = lowered(
        "x",
        "fn f(x: f64, m: &DMatrix<f64>) -> f64 { let l = m.clone().lu().determinant(); x * l }",
    );
    let mut errors = Errors::default();
    check::check(&b, &Activity::of(&b), &mut errors);
    assert!(errors.is_empty(), "{:?}", errors.messages());
}

/// Whether `cfg_renames` names the merged value of the body's first `#[cfg]` branch after the
/// value its configured-out arm passes through.
fn cfg_aliased(src: &str) -> bool {
    let mut b = body(src);
    let t = Tables::of(&b, true);
    let renames = super::aliases::cfg_renames(&b, &t);
    super::aliases::rename(&mut b, &renames);
    let cfg = b
        .branches()
        .into_iter()
        .find(|br| matches!(br.head, crate::ir::Head::Cfg { .. }))
        .expect("a #[cfg] branch");
    b.values[cfg.merged[0]].name == b.values[cfg.arms[1].from[0]].name
}

#[test]
fn a_cfg_statement_aliases_only_what_nothing_after_it_reads() {
    // Nothing reads the first `y` after the statement: the merged `y` takes its name.
    assert!(cfg_aliased(
        "fn f(x: f64) -> f64 { let y = x * 2.0; #[cfg(any())] let y = y + 1.0; y * 3.0 }"
    ));
    // A loop's carried `b` is assigned at the end of the body: a shadowing `let` would hide
    // the update.
    assert!(!cfg_aliased(
        "fn f(x: f64, n: usize) -> f64 { let mut b = x; for _ in 0..n { \
         #[cfg(all())] for _ in 0..n { b = b * x; } } b }"
    ));
    // The arm's value of `y` is the assigned one, which the shadowing `let` would hide.
    assert!(!cfg_aliased(
        "fn f(x: f64, s: f64) -> f64 { let mut y = x; if s > 0.0 { y = y * x; \
         #[cfg(all())] let y = y * 2.0; } y }"
    ));
    // A condition after the statement names the merged value in its kept text.
    assert!(!cfg_aliased(
        "fn f(x: f64) -> f64 { let mut y = x * 2.0; #[cfg(any())] { y = y * x; } \
         if y > 1.0 { y = y * 3.0; } y }"
    ));
}

#[test]
fn a_carried_next_value_is_read_from_the_next_iteration_not_kept_twice() {
    // `h`'s next value is `sin`'s input next iteration (saved as its start value) and the
    // last one is `h` after the loop: the tape keeps neither twice.
    let src = "fn f(w: f64, n: usize) -> f64 {
        let mut h = w;
        for _ in 0..n { h = (h * w).sin(); }
        h * h
    }";
    let b = body(src);
    let t = Tables::of(&b, true);
    let c = &b.loops()[0].carried[0];
    assert!(t.needed.needed[c.phi], "the start value is saved");
    assert!(t.needed.shifted[c.next], "the next value is not");
    assert!(
        t.needed.needed[c.out] && t.needed.replayed[c.out],
        "the value after the loop is kept whole"
    );
}

#[test]
fn a_checkpointed_loop_keeps_what_its_replay_reads() {
    let (sig, b, errors) = lowered(
        "x, checkpoint",
        "fn f(x: f64, n: usize) -> f64 {
            let c = x.exp();
            let k = 2.0;
            let mut y = x;
            for _ in 0..n { y = y * c + k; }
            let q = c.sin();
            y + q
        }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(sig.checkpoint.is_some() && b.loops()[0].checkpoint);
    let t = Tables::of(&b, true);
    let c = named(&b, "c");
    // `c` is read by the replay of the loop after `sin`'s pullback, which could otherwise
    // have taken its buffer.
    assert!(t.needed.replayed[c] && t.needed.needed[c]);
    assert!(!t.reuse.consumed[c]);
    assert!(
        !t.needed.replayed[named(&b, "q")],
        "nothing after the loop is replayed"
    );
}

#[test]
fn checkpoint_without_a_top_level_loop_is_an_error() {
    let (_, _, errors) = lowered(
        "x, checkpoint",
        "fn f(x: f64, n: usize) -> f64 { let mut y = x; if n > 0 { for _ in 0..n { y = y * x; } } y }",
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("top level"), "{errors:?}");
}
