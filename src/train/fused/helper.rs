//! A second thread that owns one part of the categories for the whole run and works on it when
//! asked. It waits on a channel, so it sleeps (it never spins) between passes, and a busy machine
//! loses nothing to it. Starting a thread costs ~0.1 ms on a small VM, so it is started once per
//! engine, not once per pass.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use super::pass::Part;
use super::update::Update;

/// Work for the helper: a function of its part.
type Job<T, U> = Box<dyn FnOnce(&mut Part<T, U>) + Send>;

/// The helper thread and the way to hand it work.
pub struct Helper<T, U: Update<T>> {
    jobs: Option<Sender<Job<T, U>>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static, U: Update<T>> Helper<T, U> {
    /// Moves `part` to a new thread (an error if the system refuses one).
    pub fn spawn(part: Part<T, U>) -> std::io::Result<Self> {
        let (jobs, inbox) = channel::<Job<T, U>>();
        let thread = std::thread::Builder::new().name("klfit-fused".into()).spawn(move || {
            let mut part = part;
            for job in inbox {
                job(&mut part);
            }
        })?;
        Ok(Self { jobs: Some(jobs), thread: Some(thread) })
    }

    /// Starts `job` on the helper's part; its result arrives on the returned channel.
    pub fn start<R: Send + 'static>(&self, job: impl FnOnce(&mut Part<T, U>) -> R + Send + 'static) -> Receiver<R> {
        let (reply, result) = channel();
        let job: Job<T, U> = Box::new(move |part| {
            let _ = reply.send(job(part));
        });
        self.jobs.as_ref().expect("the helper is running").send(job).expect("the helper thread is running");
        result
    }
}

impl<T, U: Update<T>> Drop for Helper<T, U> {
    /// Closes the channel, which ends the helper's loop, and waits for the thread to finish.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
