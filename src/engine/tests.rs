//! The engine driven by plain calls, no actor and no server: what goes out, what comes
//! back, and that every accepted URL ends with exactly one outcome.
