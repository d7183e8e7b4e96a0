//! Activity: which values depend on a differentiated parameter (*varied*) and which the
//! output depends on (*useful*). Only values that are both get adjoints.
//!
//! Both are fixed points over the value graph, loop-carried and merged values included,
//! computed with a worklist: each value is revisited only when one of its predecessors
//! changed, so the cost is linear in the number of edges, whatever the length of a chain
//! of carried variables.

use crate::ir::{Body, Kind, ScalarFn, Step, ValueId};

/// The activity of every value of a body.
pub struct Activity {
    pub varied: Vec<bool>,
    pub useful: Vec<bool>,
    /// Places inside differentiated parameters read where no derivative can flow (a loop's
    /// range, an expression kept as written): they do not make what reads them varied, and
    /// the generated code checks that their type is not `Differentiable` (a count, a flag).
    pub probed: Vec<bool>,
}

impl Activity {
    /// Whether the value gets an adjoint.
    pub fn active(&self, id: ValueId) -> bool {
        self.varied[id] && self.useful[id]
    }

    /// The activity of `body`.
    pub fn of(body: &Body) -> Activity {
        Activity::with_varied(body, &[])
    }

    /// The activity of a `map` closure's body inside an enclosing body of activity `outer`:
    /// the captured values that depend on a differentiated parameter there are varied here.
    pub fn of_closure(scalar: &ScalarFn, outer: &Activity) -> Activity {
        let seeds: Vec<ValueId> = scalar
            .body
            .captured
            .iter()
            .zip(&scalar.captures)
            .filter(|&(_, &o)| outer.varied[o])
            .map(|(&inner, _)| inner)
            .collect();
        Activity::with_varied(&scalar.body, &seeds)
    }

    /// The activity of `body` with the values `seeds` varied besides its differentiated
    /// parameters.
    fn with_varied(body: &Body, seeds: &[ValueId]) -> Activity {
        let n = body.values.len();
        let forward = edges(body, n);
        let mut varied = vec![false; n];
        seeds.iter().for_each(|&s| varied[s] = true);
        for (id, v) in body.values.iter().enumerate() {
            if let Kind::Param {
                differentiated: true,
                ..
            } = v.kind
            {
                varied[id] = true;
            }
        }
        propagate(&forward.successors, &mut varied);
        let mut useful = vec![false; n];
        for &o in body.output.iter().chain(&body.kept) {
            useful[o] = true;
        }
        propagate(&forward.adjoint_predecessors, &mut useful);
        let mut probed = vec![false; n];
        for (id, v) in body.values.iter().enumerate() {
            for &i in v
                .kind
                .inputs()
                .iter()
                .filter(|&&i| constant_read(body, i, id))
            {
                probed[i] = varied[i];
            }
        }
        Activity {
            varied,
            useful,
            probed,
        }
    }
}

/// The value graph: who depends on whom.
struct Edges {
    /// `v → w` when `w` is computed from `v` (varied-ness flows this way).
    successors: Vec<Vec<ValueId>>,
    /// `w → v` when `w`'s adjoint flows into `v`'s (usefulness flows this way).
    adjoint_predecessors: Vec<Vec<ValueId>>,
}

fn edges(body: &Body, n: usize) -> Edges {
    let mut e = Edges {
        successors: vec![Vec::new(); n],
        adjoint_predecessors: vec![Vec::new(); n],
    };
    let mut link = |from: ValueId, to: ValueId, adjoint: bool| {
        e.successors[from].push(to);
        if adjoint {
            e.adjoint_predecessors[to].push(from);
        }
    };
    for (id, v) in body.values.iter().enumerate() {
        match &v.kind {
            Kind::Op { inputs, .. } => inputs.iter().for_each(|&i| link(i, id, true)),
            Kind::Map {
                input,
                second,
                scalar,
                ..
            } => {
                link(*input, id, true);
                second.iter().for_each(|&s| link(s, id, true));
                scalar.captures.iter().for_each(|&c| link(c, id, true));
            }
            Kind::Call { args, .. } => args.iter().for_each(|a| link(a.value, id, true)),
            Kind::Version { of } => link(*of, id, true),
            Kind::Project { root, .. } => link(*root, id, true),
            // No adjoint flows through these: reading a varied value there is an error, but
            // for a place inside a parameter, checked to be a constant by its type.
            Kind::Opaque { inputs, .. } => inputs
                .iter()
                .filter(|&&i| !constant_read(body, i, id))
                .for_each(|&i| link(i, id, false)),
            Kind::Bound { from: Some(s), .. } => link(*s, id, false),
            _ => {}
        }
    }
    crate::ir::walk::regions(&body.steps, &mut |s| match s {
        Step::Loop(l) => {
            for c in &l.carried {
                for to in [c.phi, c.out] {
                    link(c.init, to, true);
                    link(c.next, to, true);
                }
            }
        }
        Step::Branch(b) => {
            for a in &b.arms {
                for (&from, &m) in a.from.iter().zip(&b.merged) {
                    link(from, m, true);
                }
            }
        }
        _ => {}
    });
    e
}

/// Whether `reader` reads the place `place` inside a parameter where no derivative can flow
/// (an expression kept as written that would be an error on a differentiated value).
fn constant_read(body: &Body, place: ValueId, reader: ValueId) -> bool {
    matches!(body.values[place].kind, Kind::Project { .. })
        && matches!(
            body.values[reader].kind,
            Kind::Opaque {
                unsupported: Some(_),
                ..
            }
        )
}

/// Sets `flag` on everything reachable from a flagged value along `next`.
fn propagate(next: &[Vec<ValueId>], flag: &mut [bool]) {
    let mut work: Vec<ValueId> = (0..flag.len()).filter(|&i| flag[i]).collect();
    while let Some(v) = work.pop() {
        for &w in &next[v] {
            if !flag[w] {
                flag[w] = true;
                work.push(w);
            }
        }
    }
}
