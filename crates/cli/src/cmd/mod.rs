//! One module per command. Pure commands (screen, reconcile, assign, bill) touch no store.
pub mod assign;
pub mod backup;
pub mod bill;
pub mod demo;
pub mod import;
pub mod log;
pub mod reconcile;
pub mod screen;
pub mod verify;
