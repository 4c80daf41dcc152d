//! One module per command. Pure commands (screen, reconcile, assign, bill) touch no store.
pub mod assign;
pub mod backup;
pub mod bill;
pub mod custody;
pub mod demo;
pub mod housing;
pub mod import;
pub mod invoice;
pub mod log;
pub mod manifest;
pub mod reconcile;
pub mod records;
pub mod register;
pub mod screen;
pub mod serve;
pub mod token;
pub mod verify;
