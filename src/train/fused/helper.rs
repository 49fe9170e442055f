//! Sharing a pass between this thread and a helper thread, without spinning.
//!
//! The categories are split in parts. A pass is a function of one part; each part's result has
//! its own slot, and whichever thread locks an empty slot first computes that part. The helper
//! is woken through a channel (it sleeps between passes); this thread takes every part the
//! helper has not taken and then waits, part by part in order, for the ones the helper is still
//! computing. On a busy machine where the helper gets no core, this thread simply does all the
//! parts: a step is never slower than on one thread by more than a wake-up. The results come
//! back in part order, whoever computed them, so the sums are the same bits on one core or two.
//!
//! With one part, or without a helper thread, this thread works on the parts directly: no
//! locks, no channel.
//!
//! Starting a thread costs more than a step at the sizes where the helper pays (docs/performance.md),
//! so the helper is started once per engine.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Work the helper can take a share of.
trait Share: Send + Sync {
    /// Computes every part whose slot is still empty.
    fn share(&self);
}

/// A pass over the parts: the job, and one result slot per part.
struct Job<P, R, J> {
    parts: Arc<[Mutex<P>]>,
    job: J,
    results: Vec<Mutex<Slot<R>>>,
}

/// A part's result: not computed yet, computed, or handed on (then never computed again, even
/// by a helper that wakes up late).
enum Slot<R> {
    Empty,
    Done(R),
    Taken,
}

impl<P: Send, R: Send, J: Fn(&mut P) -> R + Send + Sync> Share for Job<P, R, J> {
    fn share(&self) {
        for (part, slot) in self.parts.iter().zip(&self.results) {
            // A slot already locked is being computed by the other thread.
            if let Ok(mut slot) = slot.try_lock() {
                if let Slot::Empty = *slot {
                    *slot = Slot::Done((self.job)(&mut part.lock().unwrap_or_else(PoisonError::into_inner)));
                }
            }
        }
    }
}

/// The helper thread and the channel that wakes it with a pass.
type Helper = (Sender<Arc<dyn Share>>, JoinHandle<()>);

/// Parts of type `P`, worked on by this thread alone or shared with a helper thread.
pub struct Parts<P>(Work<P>);

enum Work<P> {
    /// This thread alone (one part, or no helper thread): no locks, no channel.
    Alone(Vec<P>),
    /// With a helper thread (`None` once it has been stopped).
    Shared(Arc<[Mutex<P>]>, Option<Helper>),
}

impl<P: Send + 'static> Parts<P> {
    /// `parts`, shared with a helper thread if `helper` is true, there are several, and the system
    /// gives a thread.
    pub fn new(parts: Vec<P>, helper: bool) -> Self {
        Parts(match (helper && parts.len() > 1).then(spawn_helper).flatten() {
            Some(helper) => Work::Shared(parts.into_iter().map(Mutex::new).collect(), Some(helper)),
            None => Work::Alone(parts),
        })
    }

    /// Runs `job` on every part and hands the results to `fold` in part order.
    pub fn each<R: Send + 'static>(
        &mut self,
        job: impl Fn(&mut P) -> R + Send + Sync + 'static,
        mut fold: impl FnMut(R),
    ) {
        let (parts, helper) = match &mut self.0 {
            Work::Alone(parts) => return parts.iter_mut().for_each(|part| fold(job(part))),
            Work::Shared(parts, helper) => (parts, helper),
        };
        let results = parts.iter().map(|_| Mutex::new(Slot::Empty)).collect();
        let pass = Arc::new(Job { parts: Arc::clone(parts), job, results });
        if let Some((helper, _)) = helper {
            let _ = helper.send(Arc::clone(&pass) as Arc<dyn Share>);
        }
        pass.share();
        for slot in &pass.results {
            // Waits while the helper computes this part; only an empty slot is left to fill.
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Done(result) => fold(result),
                _ => unreachable!("share() fills every slot it locks, and this thread tried them all"),
            }
        }
    }

    /// Runs `job` on every part and combines the results in part order, `combine(first, second)`
    /// then with the third and so on; `None` without parts. With one part (below
    /// [`super::PARALLEL_FROM`]) the job is called here, directly: through [`Self::each`] and an
    /// empty result to merge into, a step at 11 categories took ~15% longer.
    #[inline(always)]
    pub fn reduce<R: Send + 'static>(
        &mut self,
        job: impl Fn(&mut P) -> R + Send + Sync + 'static,
        mut combine: impl FnMut(R, R) -> R,
    ) -> Option<R> {
        if let Work::Alone(parts) = &mut self.0 {
            if let [part] = parts.as_mut_slice() {
                return Some(job(part));
            }
        }
        let mut total = None;
        self.each(job, |r| {
            total = Some(match total.take() {
                Some(total) => combine(total, r),
                None => r,
            })
        });
        total
    }
}

/// A thread that takes a share of every pass it is sent (`None` if the system refuses one).
fn spawn_helper() -> Option<Helper> {
    let (passes, inbox) = channel::<Arc<dyn Share>>();
    let thread = std::thread::Builder::new().name("klfit-fused".into()).spawn(move || {
        for pass in inbox {
            pass.share();
        }
    });
    thread.ok().map(|thread| (passes, thread))
}

impl<P> Drop for Parts<P> {
    /// Closes the channel, which ends the helper's loop, and waits for the thread to finish.
    fn drop(&mut self) {
        if let Work::Shared(_, helper) = &mut self.0 {
            if let Some((passes, thread)) = helper.take() {
                drop(passes);
                let _ = thread.join();
            }
        }
    }
}
