//! The free buffers of a workspace: by capacity, each with the number of calls it has sat
//! unused, so that a buffer nothing asks for again (a value your own code allocated and the
//! generated code gave back) is dropped after a few calls instead of piling up.

/// Calls a free buffer may sit unused before it is dropped: enough for a few functions taking
/// turns with one workspace.
pub(super) const IDLE_CALLS: u32 = 4;

/// The capacities a pool keeps a list for, empty or not, before it forgets the empty ones.
pub(super) const CAPACITIES: usize = 256;

/// Free buffers of one capacity, each with the calls it has sat unused.
type List<T> = Vec<(Vec<T>, u32)>;

/// Free buffers of one scalar type, by capacity.
///
/// A call asks for few distinct capacities, again and again (a loop's steps, a gradient's
/// shapes), so the lists sit in one `Vec` sorted by capacity and are found by binary search:
/// a take and a give cost a few comparisons and a push or pop, less than a B-tree's walk
/// (which was a fifth of a small RNN's gradient in a workspace).
pub(super) struct Free<T> {
    /// `(capacity, buffers)` in increasing capacity.
    lists: Vec<(usize, List<T>)>,
    count: usize,
}

impl<T> Default for Free<T> {
    fn default() -> Self {
        Free {
            lists: Vec::new(),
            count: 0,
        }
    }
}

impl<T> Free<T> {
    /// A free buffer of the least capacity from `len` to `2·len`, emptied. (A larger one
    /// stays for the request it was made for: a small value taking a large gradient's buffer
    /// would leave the gradient to allocate, call after call.)
    pub(super) fn take(&mut self, len: usize) -> Option<Vec<T>> {
        let first = self.lists.partition_point(|&(cap, _)| cap < len);
        let most = len.saturating_mul(2);
        // An emptied list stays, so that giving the buffer back allocates nothing.
        let (mut v, _) = self.lists[first..]
            .iter_mut()
            .take_while(|(cap, _)| *cap <= most)
            .find_map(|(_, list)| list.pop())?;
        self.count -= 1;
        v.clear();
        Some(v)
    }

    /// Keeps `v` for a later request.
    pub(super) fn give(&mut self, v: Vec<T>) {
        let cap = v.capacity();
        let at = self.lists.partition_point(|&(c, _)| c < cap);
        match self.lists.get_mut(at) {
            Some((c, list)) if *c == cap => list.push((v, 0)),
            _ => self.lists.insert(at, (cap, vec![(v, 0)])),
        }
        self.count += 1;
    }

    /// The end of a call: every free buffer has sat unused one call more; those idle for more
    /// than [`IDLE_CALLS`] are dropped. Empty lists stay (giving a buffer back to one
    /// allocates nothing) unless there are more than [`CAPACITIES`] of them.
    pub(super) fn end_call(&mut self) {
        for (_, list) in &mut self.lists {
            list.iter_mut().for_each(|(_, idle)| *idle += 1);
            list.retain(|(_, idle)| *idle <= IDLE_CALLS);
        }
        if self.lists.len() > CAPACITIES {
            self.lists.retain(|(_, list)| !list.is_empty());
        }
        self.count = self.lists.iter().map(|(_, list)| list.len()).sum();
    }

    /// The number of free buffers.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The entries the free buffers have room for.
    pub(super) fn capacity(&self) -> usize {
        self.lists.iter().map(|(cap, list)| cap * list.len()).sum()
    }
}

/// Free buffers of `f64` and `f32` entries.
#[derive(Default)]
pub(super) struct Pool {
    pub f64s: Free<f64>,
    pub f32s: Free<f32>,
}

impl Pool {
    /// [`Free::end_call`] of both.
    pub(super) fn end_call(&mut self) {
        self.f64s.end_call();
        self.f32s.end_call();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(caps: &[usize]) -> Free<f64> {
        let mut f = Free::default();
        caps.iter().for_each(|&c| f.give(Vec::with_capacity(c)));
        f
    }

    #[test]
    fn a_take_is_the_least_capacity_from_len_to_twice_len() {
        let mut f = free(&[8, 32, 16]);
        assert_eq!(f.take(9).unwrap().capacity(), 16);
        assert_eq!(f.take(33).map(|v| v.capacity()), None);
        assert_eq!(f.take(2).map(|v| v.capacity()), None, "8 > 2·2");
        assert_eq!(f.take(4).unwrap().capacity(), 8);
        assert_eq!((f.len(), f.capacity()), (1, 32));
    }

    #[test]
    fn a_buffer_unused_for_more_than_idle_calls_is_dropped() {
        let mut f = free(&[8, 16]);
        for _ in 0..IDLE_CALLS {
            f.end_call();
            // The 8 is asked for and given back in every call; the 16 never.
            let v = f.take(8).expect("the 8");
            f.give(v);
        }
        assert_eq!(f.len(), 2);
        f.end_call();
        assert_eq!((f.len(), f.capacity()), (1, 8));
    }
}
