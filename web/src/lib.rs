//! Browser front end.
