//! A deliberately small HTTP/1.1 server on `std::net`: one request per connection, bounded
//! concurrency, header and body caps, read deadlines, Host and Origin checks, and a panic in a
//! handler answered with 500 instead of a dropped connection.

mod message;
mod read;
pub mod server;

pub use message::{Request, Response};
pub use read::{read_request, ReadError};
