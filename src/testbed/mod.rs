//! The synthetic local website (being written).
