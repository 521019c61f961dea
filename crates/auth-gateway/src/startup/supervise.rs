//! Background tasks that survive a panic: each runs under a supervisor that logs the
//! panic and starts the task again after a pause, so a bug or an unforeseen provider
//! answer in one tick cannot silently end the refresh, the sweeper or the change feed.

use std::time::Duration;
use tokio::task::JoinHandle;

/// Pause before the first restart; doubled after each panic up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_mins(1);

/// Ends the task it holds when dropped, so aborting the supervisor ends its task too.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Spawns `start()` and restarts it whenever it panics; ends when it returns.
pub fn supervise<F, Fut>(task: &'static str, start: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let mut running = AbortOnDrop(tokio::spawn(start()));
            match (&mut running.0).await {
                Ok(()) => return,
                Err(error) if error.is_panic() => {
                    // The panic message itself went to stderr through the panic hook; it
                    // is not repeated here, since it may quote data.
                    tracing::error!(
                        task,
                        restart_in_secs = backoff.as_secs(),
                        "background task panicked; restarting it"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(_cancelled) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::supervise;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_task_that_panics_is_started_again() {
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&starts);
        let supervisor = supervise("test", move || {
            let start = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(start > 0, "the first run fails");
            }
        });
        tokio::time::timeout(Duration::from_secs(30), supervisor)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(starts.load(Ordering::SeqCst), 2);
    }
}
