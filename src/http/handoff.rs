//! The pipeline's handoff with the handler it runs: the [`Call`] it prepared goes in (for the
//! extractors of [`super::call`]), the typed answer (a [`Reply`] or an [`ApiError`]) comes back.
//!
//! Both travel through one slot scoped to that handler's future (a tokio task-local), not
//! through the request's and the response's extension maps: those cost four allocations a
//! request (a map, its table and a box each way). Outside the pipeline (a handler mounted on a
//! test's own `Router`) there is no slot: the extractors answer `internal.unprepared` and the
//! answers ride in the response's extensions, as in axum's error-handling example.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use super::envelope::Reply;
use super::error::ApiError;
use super::read::ParsedBody;
use crate::store::Cluster;

/// HTTP Basic credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    decoded: String,
    colon: usize,
}

impl Credentials {
    /// `decoded` (`username:password`) when it has a colon.
    pub fn split(decoded: String) -> Option<Self> {
        let colon = decoded.find(':')?;
        Some(Self { decoded, colon })
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.decoded[..self.colon]
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.decoded[self.colon + 1..]
    }
}

/// What the pipeline decided of one request before its handler runs: the cluster, the
/// credentials it checked and the body it read and parsed once.
pub struct Call {
    /// The cluster addressed.
    pub cluster: Arc<Cluster>,
    /// HTTP Basic credentials, on the login route.
    pub credentials: Option<Credentials>,
    /// The body, parsed, on routes that read one (taken by the first extractor that takes it).
    pub body: Option<ParsedBody>,
}

/// What a handler answered through the slot.
pub type Answer = Result<Reply, ApiError>;

struct Slot {
    call: Call,
    answer: Option<Answer>,
}

tokio::task_local! {
    static SLOT: RefCell<Slot>;
}

/// Runs `handler` with `call` in its slot; returns what it answered, with the typed answer its
/// `IntoResponse` left in the slot (`None` when it wrote a response of its own). (Not an
/// `async fn`, which would keep a second copy of `call` beside the slot's.)
pub fn run<F>(call: Call, handler: F) -> impl Future<Output = (F::Output, Option<Answer>)>
where
    F: Future,
{
    let slot = RefCell::new(Slot { call, answer: None });
    SLOT.scope(slot, async move {
        let response = handler.await;
        let answer = SLOT.with(|slot| slot.borrow_mut().answer.take());
        (response, answer)
    })
}

/// `f` of the pipeline's [`Call`]; a handler called outside the pipeline is a bug.
pub fn with_call<R>(f: impl FnOnce(&mut Call) -> R) -> Result<R, ApiError> {
    SLOT.try_with(|slot| f(&mut slot.borrow_mut().call))
        .map_err(|_| ApiError::Unprepared("a handler was called without the pipeline"))
}

/// Leaves `answer` for the pipeline; gives it back when there is no pipeline to take it.
pub fn leave(answer: Answer) -> Option<Answer> {
    let mut answer = Some(answer);
    let _ = SLOT.try_with(|slot| slot.borrow_mut().answer = answer.take());
    answer
}
