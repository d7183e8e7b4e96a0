//! The user's variables in scope while lowering: block frames of declarations, each
//! variable holding its current value.

use crate::ir::ValueId;
use std::collections::HashMap;
use std::rc::Rc;

/// A variable declared by `let`, a parameter or a pattern.
#[derive(Clone)]
pub struct Var {
    /// The value it holds now (assignments replace it).
    pub value: ValueId,
    /// Declared `mut`.
    pub mutable: bool,
    /// A closure literal bound to the variable: calls to it are lowered inline.
    pub closure: Option<Rc<ClosureDef>>,
    /// Declared by a `#[cfg]` `let` that shadows a variable of an enclosing block: where the
    /// `let` is configured out, the name is that other variable.
    pub cfg_shadow: bool,
}

/// A local closure and the scope it was defined in.
pub struct ClosureDef {
    pub closure: syn::ExprClosure,
    pub scope: Scope,
}

/// Block frames mapping names to variables.
#[derive(Clone)]
pub struct Scope {
    frames: Vec<HashMap<String, usize>>,
    vars: Vec<Var>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            frames: vec![HashMap::new()],
            vars: Vec::new(),
        }
    }
}

impl Scope {
    /// Enters a block.
    pub fn push(&mut self) {
        self.frames.push(HashMap::new());
    }

    /// Leaves a block: its declarations end.
    pub fn pop(&mut self) {
        self.frames.pop();
        if self.frames.is_empty() {
            self.frames.push(HashMap::new());
        }
    }

    /// Declares `name` in the innermost block (shadowing any outer one).
    pub fn declare(&mut self, name: &str, var: Var) -> usize {
        self.vars.push(var);
        let id = self.vars.len() - 1;
        if let Some(f) = self.frames.last_mut() {
            f.insert(name.to_string(), id);
        }
        id
    }

    /// Whether `name` is declared in the innermost block.
    pub fn in_this_block(&self, name: &str) -> bool {
        self.frames.last().is_some_and(|f| f.contains_key(name))
    }

    /// The variable `name` refers to here.
    pub fn var(&self, name: &str) -> Option<usize> {
        self.frames.iter().rev().find_map(|f| f.get(name).copied())
    }

    /// The value `name` holds here.
    pub fn value(&self, name: &str) -> Option<ValueId> {
        self.var(name).map(|v| self.vars[v].value)
    }

    pub fn get(&self, var: usize) -> &Var {
        &self.vars[var]
    }

    pub fn get_mut(&mut self, var: usize) -> &mut Var {
        &mut self.vars[var]
    }

    /// Every name visible here, with its value.
    pub fn visible(&self) -> Vec<(String, ValueId)> {
        let mut seen = HashMap::new();
        for f in self.frames.iter().rev() {
            for (name, &v) in f {
                seen.entry(name.clone()).or_insert(self.vars[v].value);
            }
        }
        seen.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(value: ValueId) -> Var {
        Var {
            value,
            mutable: false,
            closure: None,
            cfg_shadow: false,
        }
    }

    #[test]
    fn a_block_declaration_ends_with_the_block_and_assignments_reach_outer_variables() {
        let mut s = Scope::default();
        let h = s.declare("h", var(0));
        s.push();
        s.get_mut(s.var("h").unwrap()).value = 1;
        s.declare("h", var(2));
        assert_eq!(s.value("h"), Some(2));
        s.pop();
        assert_eq!(s.value("h"), Some(1));
        assert_eq!(s.var("h"), Some(h));
    }
}
