//! The application as a hyper service: each request answered by the router, with its
//! connection marked busy until the answer is written, and the `drop` fault honoured.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;

use super::activity::{Activity, Holding, InFlight};
use crate::http::{App, AppBody, DropConnection};

/// The application as a hyper service that can refuse to answer (see [`DropConnection`]).
#[derive(Clone)]
pub(super) struct AppService {
    pub(super) app: App,
    pub(super) activity: Arc<Activity>,
}

/// An answer's body, keeping its request in flight until it is written (or, streamed, ends).
type Held = Holding<AppBody>;

impl hyper::service::Service<Request<Incoming>> for AppService {
    type Response = http::Response<Held>;
    type Error = DropConnection;
    type Future = Answering;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        Answering {
            in_flight: Some(self.activity.begin()),
            answer: tower::ServiceExt::oneshot(self.app.clone(), req),
        }
    }
}

pin_project_lite::pin_project! {
    /// One request being answered: the application's answer, with the connection marked busy
    /// until it is written (and, for a stream, until the stream ends). A named future, so that
    /// no request pays for a box.
    pub(super) struct Answering {
        #[pin]
        answer: tower::util::Oneshot<App, Request<Incoming>>,
        in_flight: Option<InFlight>,
    }
}

impl Future for Answering {
    type Output = Result<http::Response<Held>, DropConnection>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let Ok(response) = std::task::ready!(this.answer.poll(cx));
        if response.extensions().get::<DropConnection>().is_some() {
            return std::task::Poll::Ready(Err(DropConnection));
        }
        // An answer is in flight until its body is written (a streamed one, server-sent events,
        // until it ends): the idle deadline runs from then.
        let keep = this.in_flight.take();
        std::task::Poll::Ready(Ok(response.map(|body| Holding { body, _keep: keep })))
    }
}
