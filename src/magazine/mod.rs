//! The 自治体CEPTOARメールマガジン: the regular letter beside the 一斉通知, carrying the period's
//! alerts, new 事故事例・取組事例 and JPCERT/CC's items. Its readers ([`subscribers`]): every
//! organisation's contact addresses by default, plus staff who subscribe themselves with double
//! opt-in, and one-click unsubscribe (RFC 8058) for both; its issues ([`issue`]) through four
//! eyes; their copies queued in the ledger at publication ([`send`]) and built one body per
//! audience class ([`mail`]).

pub mod issue;
pub mod mail;
pub mod send;
pub mod subscribers;
