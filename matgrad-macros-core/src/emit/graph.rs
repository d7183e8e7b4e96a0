//! The computation graph of an annotated function in Graphviz DOT.
//!
//! Nodes are the parameters (boxes; differentiated ones bold), the computed values (labelled
//! with the user's variable name where there is one, and the operation) and the output
//! (double octagon); edges are data flow. Constants bound on their own and fed to operations
//! are small grey notes. Loops and branches are clusters, and a loop-carried variable's value
//! at the start of an iteration has a dashed back edge from its value at the end.

use crate::analysis::Activity;
use crate::ir::{Body, Kind, Source, Step, ValueId};
use std::collections::HashSet;
use std::fmt::Write;

/// The DOT text of `body`'s graph, titled `name`.
pub fn dot(name: &str, body: &Body, activity: &Activity) -> String {
    let mut fed = vec![false; body.values.len()];
    for (w, v) in body.values.iter().enumerate() {
        if activity.varied[w] {
            for i in v.kind.inputs() {
                fed[i] = true;
            }
        }
    }
    let mut g = Graph {
        body,
        activity,
        fed,
        out: String::new(),
        shown: HashSet::new(),
        clusters: 0,
    };
    let _ = writeln!(g.out, "digraph {} {{", quote_id(name));
    g.out
        .push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [color=\"#555555\"];\n");
    for (id, v) in body.values.iter().enumerate() {
        if let Kind::Param { differentiated, .. } = v.kind {
            let style = if differentiated { "bold" } else { "solid" };
            let _ = writeln!(
                g.out,
                "  v{id} [shape=box, style={style}, label={}];",
                quote_id(&g.label(id))
            );
            g.shown.insert(id);
        }
    }
    g.steps(&body.steps, 1);
    g.edges();
    if let Some(o) = body.output {
        let _ = writeln!(
            g.out,
            "  output [shape=doubleoctagon, label=\"{name}\"];\n  v{o} -> output;"
        );
    }
    g.out.push_str("}\n");
    g.out
}

fn quote_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

struct Graph<'a> {
    body: &'a Body,
    activity: &'a Activity,
    /// Per value: whether a varied value reads it.
    fed: Vec<bool>,
    out: String,
    shown: HashSet<ValueId>,
    clusters: usize,
}

impl Graph<'_> {
    fn label(&self, id: ValueId) -> String {
        let v = &self.body.values[id];
        let what = match &v.kind {
            Kind::Op { op, .. } if self.activity.varied[id] => op.spec().label.to_string(),
            Kind::Map { .. } if self.activity.varied[id] => "map".to_string(),
            Kind::Call { callee, .. } if self.activity.varied[id] => {
                let c = callee.to_string().replace(' ', "");
                format!("{}()", c.trim_end_matches("::vjp"))
            }
            Kind::Opaque { .. } | Kind::Op { .. } | Kind::Map { .. } | Kind::Call { .. } => {
                match &v.source {
                    Some(Source::Expr(e)) => {
                        let mut s = quote::ToTokens::to_token_stream(e).to_string();
                        if s.chars().count() > 24 {
                            s = s.chars().take(21).collect::<String>() + "...";
                        }
                        s
                    }
                    _ => String::new(),
                }
            }
            Kind::Carried => "carried".to_string(),
            Kind::Project { place, .. } => quote::ToTokens::to_token_stream(place)
                .to_string()
                .replace(' ', ""),
            Kind::Merged => "merged".to_string(),
            Kind::Param { .. } | Kind::Bound { .. } | Kind::Version { .. } => String::new(),
        };
        match (&v.label, what.is_empty()) {
            (Some(l), true) => l.clone(),
            (Some(l), false) => format!("{l} = {what}"),
            (None, _) => what,
        }
    }

    /// Whether the value is a constant (evaluated as the user wrote it).
    fn constant(&self, id: ValueId) -> bool {
        !self.activity.varied[id]
            && matches!(
                self.body.values[id].kind,
                Kind::Opaque { .. }
                    | Kind::Op { .. }
                    | Kind::Map { .. }
                    | Kind::Call { .. }
                    | Kind::Bound { .. }
            )
    }

    fn node(&mut self, id: ValueId, indent: usize) {
        let pad = "  ".repeat(indent);
        let shape = match self.body.values[id].kind {
            _ if self.constant(id) => "note, color=\"#999999\", fontcolor=\"#666666\"",
            Kind::Carried | Kind::Merged => "ellipse, style=dashed",
            _ => "ellipse",
        };
        let _ = writeln!(
            self.out,
            "{pad}v{id} [shape={shape}, label={}];",
            quote_id(&self.label(id))
        );
        self.shown.insert(id);
    }

    /// Whether a value feeds a differentiated operation (only those constants are drawn).
    fn feeds(&self, id: ValueId) -> bool {
        self.fed[id]
    }

    fn steps(&mut self, steps: &[Step], indent: usize) {
        let pad = "  ".repeat(indent);
        for s in steps {
            match s {
                Step::Value(id) => {
                    if !self.constant(*id) || self.feeds(*id) {
                        self.node(*id, indent);
                    }
                }
                Step::Effect(_) => {}
                Step::Destructure(d) => {
                    for &b in &d.bound {
                        if self.feeds(b) {
                            self.node(b, indent);
                        }
                    }
                }
                Step::Loop(l) => {
                    self.clusters += 1;
                    let iter = match &self.body.values[l.iter].source {
                        Some(Source::Expr(e)) => quote::ToTokens::to_token_stream(e).to_string(),
                        _ => String::new(),
                    };
                    let pat = l.pat.to_string();
                    let _ = writeln!(self.out, "{pad}subgraph cluster_{} {{", self.clusters);
                    let _ = writeln!(
                        self.out,
                        "{pad}  label={}; style=rounded;",
                        quote_id(&format!("for {pat} in {iter}"))
                    );
                    for &p in &l.pat_values {
                        if self.feeds(p) {
                            self.node(p, indent + 1);
                        }
                    }
                    for c in &l.carried {
                        self.node(c.phi, indent + 1);
                    }
                    self.steps(&l.body, indent + 1);
                    let _ = writeln!(self.out, "{pad}}}");
                    for c in &l.carried {
                        self.node(c.out, indent);
                        let _ = writeln!(self.out, "{pad}v{} -> v{};", c.init, c.phi);
                        let _ = writeln!(
                            self.out,
                            "{pad}v{} -> v{} [style=dashed, constraint=false];",
                            c.next, c.phi
                        );
                        let _ = writeln!(self.out, "{pad}v{} -> v{};", c.next, c.out);
                    }
                }
                Step::Branch(b) => {
                    for (k, arm) in b.arms.iter().enumerate() {
                        self.clusters += 1;
                        let _ = writeln!(self.out, "{pad}subgraph cluster_{} {{", self.clusters);
                        let label = if k == 0 {
                            "if".to_string()
                        } else if b.arms.len() == 2 {
                            "else".to_string()
                        } else {
                            format!("arm {k}")
                        };
                        let _ = writeln!(self.out, "{pad}  label=\"{label}\"; style=dotted;");
                        self.steps(&arm.body, indent + 1);
                        let _ = writeln!(self.out, "{pad}}}");
                    }
                    for (k, &m) in b.merged.iter().enumerate() {
                        self.node(m, indent);
                        for arm in &b.arms {
                            let _ = writeln!(
                                self.out,
                                "{pad}v{} -> v{} [style=dotted];",
                                arm.from[k], m
                            );
                        }
                    }
                }
            }
        }
    }

    fn edges(&mut self) {
        // What `map` closures read: grey dashed edges.
        for (id, v) in self.body.values.iter().enumerate() {
            if let Kind::Map { scalar, .. } = &v.kind {
                for &i in &scalar.captures {
                    if self.shown.contains(&i) && self.shown.contains(&id) {
                        let _ = writeln!(
                            self.out,
                            "  v{i} -> v{id} [style=dashed, color=\"#999999\"];"
                        );
                    }
                }
            }
        }
        for (id, v) in self.body.values.iter().enumerate() {
            if !self.activity.varied[id] {
                continue;
            }
            for i in v.kind.inputs() {
                if self.shown.contains(&i) && self.shown.contains(&id) {
                    let _ = writeln!(self.out, "  v{i} -> v{id};");
                }
            }
        }
    }
}
