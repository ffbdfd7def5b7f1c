//! Long computations inside a request or the board engine: a 10,000-unit
//! board, a workbook, an uploaded file inflated and checked. Run on a
//! runtime worker they would hold that worker for their whole length and
//! the requests queued behind it (`/healthz` among them) would wait; run
//! through [`heavy`], the runtime first hands that worker's other tasks to
//! another thread.

/// Runs `work` where it may take long: through `block_in_place` on a
/// multi-threaded runtime (the service's), directly elsewhere (a
/// single-threaded test runtime, or no runtime at all).
pub fn heavy<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::heavy;

    #[test]
    fn runs_without_a_runtime() {
        assert_eq!(heavy(|| 6 * 7), 42);
    }

    #[tokio::test]
    async fn runs_on_a_single_threaded_runtime() {
        assert_eq!(heavy(|| 6 * 7), 42);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_on_a_multi_threaded_runtime() {
        assert_eq!(heavy(|| 6 * 7), 42);
    }
}
