//! [`Tracked`]: the TCP stream awc is given. Every read and write goes through its
//! [`Slot`], so the attempt being polled learns what came on its connection, and a
//! connection [`Connections::reap`](super::Connections::reap) closed reads as closed.

use super::{ATTEMPT, AbsoluteForm, AttemptIo, Head, Slot, State};
use actix_rt::net::{ActixStream, TcpStream};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, Ready};

/// A TCP stream awc uses, with its [`Slot`].
pub(crate) struct Tracked {
    pub(super) slot: Rc<Slot>,
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tracked({}, {:?})", self.slot.key, self.slot.state.get())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.slot.close();
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let slot = &self.slot;
        let io = ATTEMPT.try_with(Rc::clone).ok();
        match slot.state.get() {
            State::Closed => return Poll::Ready(Ok(())),
            // awc checks an idle connection by reading it before handing it out: this is
            // that read, inside the attempt that will get the connection.
            State::Idle(_) => match &io {
                Some(io) if io.may_reuse(slot) => {
                    slot.state.set(State::Active);
                    io.adopt(slot, true);
                }
                _ => {
                    slot.close();
                    return Poll::Ready(Ok(()));
                }
            },
            State::Active => {}
        }
        let mut stream = slot.stream.borrow_mut();
        let Some(s) = stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        if slot.via.is_some() {
            quick_ack(s);
        }
        let mut head = slot.head.borrow_mut();
        loop {
            match &mut *head {
                Head::Passing => return raw_read(s, cx, buf, io.as_deref()),
                Head::Releasing(held, at) => {
                    let n = (held.len() - *at).min(buf.remaining());
                    buf.put_slice(&held[*at..*at + n]);
                    *at += n;
                    if *at == held.len() {
                        *head = Head::Passing;
                    }
                    return Poll::Ready(Ok(()));
                }
                Head::Gathering(held) => {
                    if buf.remaining() == 0 {
                        // Nothing can be handed out; what a socket read would give.
                        return Poll::Ready(Ok(()));
                    }
                    // Read where awc wants it: a head that comes whole in one read (the
                    // usual case) is checked in place, with no copy of the answer.
                    let before = buf.filled().len();
                    match raw_read(s, cx, buf, io.as_deref()) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(())) if buf.filled().len() == before => {
                            // The connection ended before the head: hand out what came.
                            if held.is_empty() {
                                *head = Head::Passing;
                                return Poll::Ready(Ok(()));
                            }
                            *head = Head::Releasing(std::mem::take(held), 0);
                        }
                        Poll::Ready(Ok(())) if held.is_empty() && in_place(buf, before) => {
                            *head = Head::Passing;
                            return Poll::Ready(Ok(()));
                        }
                        Poll::Ready(Ok(())) => {
                            // The head is not whole yet: what came is held back until it is.
                            held.extend_from_slice(&buf.filled()[before..]);
                            buf.set_filled(before);
                            if let Some(len) = crate::fetch::head::head_len(held) {
                                crate::fetch::head::mark_close_delimited(&mut held[..len]);
                                *head = Head::Releasing(std::mem::take(held), 0);
                            } else if held.len() > crate::fetch::head::MAX_HEAD {
                                *head = Head::Releasing(std::mem::take(held), 0);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Checks the head of an answer that came whole in `buf` after `before`, in place; false
/// when it is not whole there.
fn in_place(buf: &mut ReadBuf<'_>, before: usize) -> bool {
    let came = &mut buf.filled_mut()[before..];
    let Some(len) = crate::fetch::head::head_len(came) else {
        return false;
    };
    crate::fetch::head::mark_close_delimited(&mut came[..len]);
    true
}

/// Asks the kernel to acknowledge what comes at once rather than after its delayed-ACK
/// timer (Linux re-arms the delay on its own, so this is asked before each read). A proxy
/// that relays an answer in many small writes with Nagle's algorithm on waits for each
/// ACK: measured through microsocks, 43 ms an answer without this.
#[cfg(target_os = "linux")]
fn quick_ack(s: &TcpStream) {
    let _ = rustix::net::sockopt::set_tcp_quickack(s, true);
}

#[cfg(not(target_os = "linux"))]
fn quick_ack(_: &TcpStream) {}

/// Reads from the socket itself, noting in the attempt what came.
fn raw_read(
    s: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
    io: Option<&AttemptIo>,
) -> Poll<io::Result<()>> {
    let before = buf.filled().len();
    let polled = Pin::new(s).poll_read(cx, buf);
    if let (Poll::Ready(Ok(())), Some(io)) = (&polled, io) {
        match buf.filled().len() - before {
            0 => io.eof.set(true),
            n => io.received.set(io.received.get() + n as u64),
        }
    }
    polled
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let slot = &self.slot;
        let written = match slot.absolute.borrow_mut().as_mut() {
            Some(rewrite) => write_absolute(slot, rewrite, cx, buf),
            None => match slot.stream.borrow_mut().as_mut() {
                Some(s) => Pin::new(s).poll_write(cx, buf),
                None => return Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
            },
        };
        if !slot.tls && matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            let mut head = slot.head.borrow_mut();
            if matches!(*head, Head::Passing) {
                // A request is going out: its answer's head is checked before awc reads it.
                *head = Head::Gathering(Vec::new());
            }
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let slot = &self.slot;
        if let Some(rewrite) = slot.absolute.borrow_mut().as_mut() {
            std::task::ready!(drain(slot, rewrite, cx))?;
        }
        match slot.stream.borrow_mut().as_mut() {
            Some(s) => Pin::new(s).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.slot.stream.borrow_mut().as_mut() {
            Some(s) => Pin::new(s).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

/// A write through an [`AbsoluteForm`]: what was rewritten before goes out first, then
/// `buf` is taken whole, rewritten, and put on the socket as far as it goes (the rest at
/// the next write or flush).
fn write_absolute(
    slot: &Slot,
    rewrite: &mut AbsoluteForm,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    std::task::ready!(drain(slot, rewrite, cx))?;
    rewrite.push(buf);
    if let Poll::Ready(Err(e)) = drain(slot, rewrite, cx) {
        return Poll::Ready(Err(e));
    }
    Poll::Ready(Ok(buf.len()))
}

/// Puts a rewriter's pending bytes on the socket.
fn drain(slot: &Slot, rewrite: &mut AbsoluteForm, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    let mut stream = slot.stream.borrow_mut();
    let Some(s) = stream.as_mut() else {
        return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
    };
    while !rewrite.pending().is_empty() {
        match std::task::ready!(Pin::new(&mut *s).poll_write(cx, rewrite.pending())) {
            Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => rewrite.sent += n,
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
    Poll::Ready(Ok(()))
}

impl ActixStream for Tracked {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        match self.slot.stream.borrow().as_ref() {
            Some(s) => ActixStream::poll_read_ready(s, cx),
            None => Poll::Ready(Ok(Ready::ALL)),
        }
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        match self.slot.stream.borrow().as_ref() {
            Some(s) => ActixStream::poll_write_ready(s, cx),
            None => Poll::Ready(Ok(Ready::ALL)),
        }
    }
}
