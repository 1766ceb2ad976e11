//! The Cloud API's side of a cluster: its WhatsApp Business Account and phone numbers, and the
//! rules of their registration (codes, two-step pins, the register and deregister limits), as
//! Meta documents them for `POST /{PHONE_NUMBER_ID}/request_code`, `verify_code`, `register`
//! and `deregister`. No HTTP here: the Graph surface (`crate::http::graph`) reads requests and
//! writes answers; the store applies these rules under the cluster's lock.

mod error;
mod number;
mod operation;
mod territories;

pub use territories::index_territories;
pub mod version;
mod waba;

pub use error::{CloudError, CloudErrorTitle, Counted, title};
pub use number::{
    CloudCode, CloudNumber, CodeStatus, NameChange, NameStatus, NumberStatus, Platform,
    REREGISTER_WAIT,
};
pub use operation::Operation;
pub use waba::{
    GraphToken, NumberError, Waba, calling_code, country_code, display, phone_id, read_number,
    waba_id,
};
