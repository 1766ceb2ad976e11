//! The application as a hyper service: each request answered by the router, with its
//! connection marked busy until the answer is written, and the `drop` fault honoured.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;

use super::activity::{Activity, Holding, InFlight};
use crate::http::body::Streaming;
use crate::http::{App, AppBody, DropConnection};

/// The application as a hyper service that can refuse to answer (see [`DropConnection`]).
#[derive(Clone)]
pub(super) struct AppService {
    pub(super) app: App,
    pub(super) activity: Arc<Activity>,
}

/// An answer's body, holding what must live as long as a streamed one does.
type Held = Holding<AppBody>;

impl hyper::service::Service<Request<Incoming>> for AppService {
    type Response = http::Response<Held>;
    type Error = DropConnection;
    type Future = Answering;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        Answering {
            answer: tower::ServiceExt::oneshot(self.app.clone(), req),
            in_flight: Some(self.activity.begin()),
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
        // A streamed answer (server-sent events) is in flight until its body ends.
        let keep = match response.extensions().get::<Streaming>() {
            Some(_) => this.in_flight.take(),
            None => None,
        };
        std::task::Poll::Ready(Ok(response.map(|body| Holding { body, _keep: keep })))
    }
}
