//! Legal records (CONTRACT §1). Owned by the screening work.
