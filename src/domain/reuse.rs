//! Buffers a thread reuses for what it writes on every request (the journal's copy of a body,
//! an answer's text, a decoded certificate), instead of allocating or zeroing one each time.
//!
//! Each use declares its own thread-local buffer, so that one use running inside another never
//! borrows the same buffer twice; what they share is how a buffer is kept.

use std::cell::RefCell;
use std::thread::LocalKey;

/// A buffer grown past this many bytes (by one large body) is dropped after that use rather
/// than kept for the thread's next request.
pub const KEPT: usize = 16 * 1024;

/// A buffer worth reusing: it knows its capacity, and its default is empty.
pub trait Buffer: Default {
    /// Bytes it holds room for.
    fn room(&self) -> usize;
}

impl Buffer for String {
    fn room(&self) -> usize {
        self.capacity()
    }
}

impl Buffer for Vec<u8> {
    fn room(&self) -> usize {
        self.capacity()
    }
}

/// `f` of this thread's `buffer` as its last use left it (each use clears or sizes what it
/// needs); a buffer grown past [`KEPT`] is then dropped.
pub fn with<B: Buffer, R>(buffer: &'static LocalKey<RefCell<B>>, f: impl FnOnce(&mut B) -> R) -> R {
    buffer.with_borrow_mut(|kept| {
        let result = f(kept);
        if kept.room() > KEPT {
            *kept = B::default();
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static TEXT: RefCell<String> = const { RefCell::new(String::new()) };
    }

    #[test]
    fn a_buffer_is_kept_between_uses_unless_it_grew_too_large() {
        with(&TEXT, |text| text.push_str("kept"));
        assert_eq!(with(&TEXT, |text| text.clone()), "kept");
        with(&TEXT, |text| text.push_str(&"x".repeat(KEPT + 1)));
        assert_eq!(with(&TEXT, |text| text.room()), 0);
    }
}
