//! The 自治体CEPTOARメールマガジン: the regular letter beside the 一斉通知, carrying the period's
//! alerts, new 事故事例・取組事例 and JPCERT/CC's items. This part holds its readers
//! ([`subscribers`]): every organisation's contact addresses by default, plus staff who
//! subscribe themselves with double opt-in, and one-click unsubscribe (RFC 8058) for both.

pub mod issue;
pub mod subscribers;
