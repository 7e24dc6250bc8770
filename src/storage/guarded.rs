//! A guard around the cloud stores (S3, GCS, Azure, HTTP): what
//! object_store's own retries leave to the caller.
//!
//! - A listing whose response body is cut mid-read is not retried by
//!   object_store 0.13 (it retries the bodies of object GETs only). Here a
//!   listing that fails on the way (a transport error, not an answer such as
//!   403) is started again from the beginning, with the `[storage]` backoff.
//!   A listing is therefore collected whole before its first entry is
//!   handed on: a partial listing is never seen.
//! - A ranged GET answered with fewer bytes than the range (a short body
//!   with a matching `Content-Length`) makes the Parquet reader panic
//!   (apache/arrow-rs#10563). Here the body of every ranged GET is read
//!   whole and its length checked against the range the store announced
//!   and the range asked for; a short one is asked again, and when the
//!   retries run out it is an error naming the object.
//! - Every error that leaves the store names the operation and the object's
//!   URL ([`Located`]), so a failure deep inside the query engine still says
//!   which file it was. Errors callers act on (not found, already exists,
//!   precondition failed, not modified, not implemented) are passed on as
//!   they are.
//!
//! Local files and `memory://` are not wrapped: they have no transport.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::client::HttpError;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

use crate::config::StorageSettings;
pub use crate::error::Located;
use crate::redact::redact;

/// The name this wrapper gives its errors (`Generic { store, .. }`).
const STORE: &str = "pulsetier";

/// A ranged read answered with fewer (or other) bytes than asked for, on
/// every try.
#[derive(Debug, thiserror::Error)]
#[error("short read: asked for bytes {asked:?}, got {got} bytes (after {tries} tries)")]
pub struct ShortRead {
    /// The range asked for (as the store announced it).
    pub asked: Range<u64>,
    /// Bytes received on the last try.
    pub got: u64,
    /// Requests made.
    pub tries: usize,
}

/// When to try again: `max_retries` more requests at most, none started
/// after `retry_timeout`, the n-th retry after `init_backoff × 2ⁿ⁻¹` capped
/// at `max_backoff`. No jitter: a run's requests do not depend on chance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first request.
    pub max_retries: usize,
    /// No retry starts later than this after the first request.
    pub retry_timeout: Duration,
    /// The pause before the first retry.
    pub init_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
}

impl Retry {
    /// The policy of the `[storage]` settings.
    pub fn from_settings(s: &StorageSettings) -> Retry {
        Retry {
            max_retries: s.max_retries,
            retry_timeout: Duration::from_secs(s.retry_timeout_secs),
            init_backoff: Duration::from_millis(s.init_backoff_ms),
            max_backoff: Duration::from_secs(s.max_backoff_secs),
        }
    }

    /// The pause before retry `n` (1-based), or `None` when no retry `n` is
    /// allowed any more (`started` is when the first request went out).
    fn pause(&self, n: usize, started: Instant) -> Option<Duration> {
        if n > self.max_retries || started.elapsed() >= self.retry_timeout {
            return None;
        }
        let doublings = u32::try_from(n - 1).unwrap_or(u32::MAX).min(30);
        Some(
            self.init_backoff
                .saturating_mul(1u32 << doublings)
                .min(self.max_backoff),
        )
    }
}

/// A store whose listings are retried whole, whose ranged reads are checked
/// for length and whose errors name their object (module doc).
#[derive(Debug, Clone)]
pub struct Guarded {
    inner: Arc<dyn ObjectStore>,
    /// `scheme://authority` of the store, for URLs in errors.
    root: String,
    retry: Retry,
}

impl Guarded {
    /// Guard `inner`, the store behind `root` (`s3://bucket`).
    pub fn new(inner: Arc<dyn ObjectStore>, root: &str, retry: Retry) -> Guarded {
        Guarded {
            inner,
            root: root.trim_end_matches('/').to_string(),
            retry,
        }
    }

    fn url(&self, path: Option<&Path>) -> String {
        match path {
            Some(p) => redact(&format!("{}/{p}", self.root)),
            None => redact(&self.root),
        }
    }

    fn locate(
        &self,
        op: &'static str,
        path: Option<&Path>,
        e: object_store::Error,
    ) -> object_store::Error {
        locate(op, self.url(path), e)
    }
}

impl fmt::Display for Guarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guarded({})", self.inner)
    }
}

/// Wrap `e` in a [`Located`], unless a caller acts on its kind (not found,
/// already exists, precondition, not modified, not implemented or not
/// supported by the store) or it is located already.
fn locate(op: &'static str, url: String, e: object_store::Error) -> object_store::Error {
    use object_store::Error as E;
    match e {
        E::NotFound { .. }
        | E::AlreadyExists { .. }
        | E::Precondition { .. }
        | E::NotModified { .. }
        | E::NotImplemented { .. }
        | E::NotSupported { .. } => e,
        E::Generic { store, source } if source.is::<Located>() => E::Generic { store, source },
        source => E::Generic {
            store: STORE,
            source: Box::new(Located { op, url, source }),
        },
    }
}

/// Whether an error is the transport failing (a connection reset, a body
/// cut short), as opposed to an answer of the store: only those make a
/// listing worth starting again.
pub fn is_transport(e: &object_store::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<HttpError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The byte range a ranged GET must answer with, once the object's size is
/// known.
fn expected_range(asked: &GetRange, size: u64) -> Range<u64> {
    match asked {
        GetRange::Bounded(r) => r.start..r.end.min(size),
        GetRange::Offset(o) => *o..size,
        GetRange::Suffix(n) => size.saturating_sub(*n)..size,
    }
}

impl Guarded {
    /// Run `list` (a whole listing) until it succeeds, gives a non-transport
    /// error, or the retries run out.
    async fn whole_listing<T, F, Fut>(
        &self,
        prefix: Option<&Path>,
        list: F,
    ) -> object_store::Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = object_store::Result<T>>,
    {
        let started = Instant::now();
        let mut tries = 1;
        loop {
            match list().await {
                Ok(v) => return Ok(v),
                Err(e) if is_transport(&e) => match self.retry.pause(tries, started) {
                    Some(pause) => {
                        tracing::debug!(url = %self.url(prefix), error = %e, tries, "listing cut, listing again");
                        tokio::time::sleep(pause).await;
                        tries += 1;
                    }
                    None => return Err(self.locate("list", prefix, e)),
                },
                Err(e) => return Err(self.locate("list", prefix, e)),
            }
        }
    }

    /// A ranged GET read whole and checked for length, asked again while short.
    async fn ranged_get(
        &self,
        location: &Path,
        options: GetOptions,
        asked: GetRange,
    ) -> object_store::Result<GetResult> {
        let started = Instant::now();
        let mut tries = 1;
        loop {
            let result = self
                .inner
                .get_opts(location, options.clone())
                .await
                .map_err(|e| self.locate("get", Some(location), e))?;
            let (meta, range, attributes) = (
                result.meta.clone(),
                result.range.clone(),
                result.attributes.clone(),
            );
            let body: Vec<Bytes> = result
                .into_stream()
                .try_collect()
                .await
                .map_err(|e| self.locate("get", Some(location), e))?;
            let got: u64 = body.iter().map(|b| b.len() as u64).sum();
            let want = expected_range(&asked, meta.size);
            if range == want && got == want.end - want.start {
                let bytes = match body.len() {
                    1 => body.into_iter().next().unwrap_or_default(),
                    _ => Bytes::from(body.concat()),
                };
                return Ok(GetResult {
                    payload: GetResultPayload::Stream(
                        stream::once(async move { Ok(bytes) }).boxed(),
                    ),
                    meta,
                    range,
                    attributes,
                });
            }
            match self.retry.pause(tries, started) {
                Some(pause) => {
                    tracing::debug!(url = %self.url(Some(location)), ?want, got, tries, "short read, reading again");
                    tokio::time::sleep(pause).await;
                    tries += 1;
                }
                None => {
                    let short = ShortRead {
                        asked: want,
                        got,
                        tries,
                    };
                    return Err(self.locate(
                        "get",
                        Some(location),
                        object_store::Error::Generic {
                            store: STORE,
                            source: Box::new(short),
                        },
                    ));
                }
            }
        }
    }
}

#[async_trait]
impl ObjectStore for Guarded {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner
            .put_opts(location, payload, opts)
            .await
            .map_err(|e| self.locate("put", Some(location), e))
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let upload = self
            .inner
            .put_multipart_opts(location, opts)
            .await
            .map_err(|e| self.locate("put", Some(location), e))?;
        Ok(Box::new(LocatedUpload {
            inner: upload,
            url: self.url(Some(location)),
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        match options.range.clone() {
            Some(asked) if !options.head => self.ranged_get(location, options, asked).await,
            _ => self
                .inner
                .get_opts(location, options)
                .await
                .map_err(|e| self.locate("get", Some(location), e)),
        }
    }

    // get_ranges: the trait's default calls `get_range`, which comes back
    // to `get_opts` above, so every range is checked.

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let root = self.root.clone();
        self.inner
            .delete_stream(locations)
            .map_err(move |e| {
                let url = match &e {
                    object_store::Error::NotFound { path, .. } => format!("{root}/{path}"),
                    _ => root.clone(),
                };
                locate("delete", redact(&url), e)
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_whole(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_whole(prefix, Some(offset.clone()))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.whole_listing(prefix, || self.inner.list_with_delimiter(prefix))
            .await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner
            .copy_opts(from, to, options)
            .await
            .map_err(|e| self.locate("copy", Some(from), e))
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.inner
            .rename_opts(from, to, options)
            .await
            .map_err(|e| self.locate("rename", Some(from), e))
    }
}

/// A multipart upload whose errors name the object being written.
#[derive(Debug)]
struct LocatedUpload {
    inner: Box<dyn MultipartUpload>,
    url: String,
}

#[async_trait]
impl MultipartUpload for LocatedUpload {
    fn put_part(&mut self, data: PutPayload) -> object_store::UploadPart {
        let url = self.url.clone();
        let part = self.inner.put_part(data);
        Box::pin(async move { part.await.map_err(|e| locate("put", url, e)) })
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let url = self.url.clone();
        self.inner
            .complete()
            .await
            .map_err(|e| locate("put", url, e))
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        let url = self.url.clone();
        self.inner.abort().await.map_err(|e| locate("put", url, e))
    }
}

impl Guarded {
    /// A listing collected whole (retried from the start when cut), then
    /// handed on entry by entry.
    fn list_whole(
        &self,
        prefix: Option<&Path>,
        offset: Option<Path>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let me = self.clone();
        let prefix = prefix.cloned();
        stream::once(async move {
            let p = prefix.as_ref();
            me.whole_listing(p, || {
                let s = match &offset {
                    Some(o) => me.inner.list_with_offset(p, o),
                    None => me.inner.list(p),
                };
                s.try_collect::<Vec<ObjectMeta>>()
            })
            .await
        })
        .map(|listed| match listed {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(e) => stream::once(async move { Err(e) }).right_stream(),
        })
        .flatten()
        .boxed()
    }
}

/// The store error without the [`Located`] this wrapper put around it, for
/// callers that name the operation and the URL themselves.
pub fn unlocated(e: object_store::Error) -> object_store::Error {
    match e {
        object_store::Error::Generic { store, source } => match source.downcast::<Located>() {
            Ok(located) => located.source,
            Err(source) => object_store::Error::Generic { store, source },
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_stop_after_the_last_retry() {
        let r = Retry {
            max_retries: 5,
            retry_timeout: Duration::from_secs(3600),
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let started = Instant::now();
        let pauses: Vec<_> = (1..=6).map(|n| r.pause(n, started)).collect();
        let ms = |m| Some(Duration::from_millis(m));
        assert_eq!(pauses, [ms(100), ms(200), ms(400), ms(500), ms(500), None]);
        let expired = Retry {
            retry_timeout: Duration::ZERO,
            ..r
        };
        assert_eq!(expired.pause(1, started), None);
    }

    #[test]
    fn a_range_is_expected_within_the_object() {
        assert_eq!(expected_range(&GetRange::Bounded(10..20), 100), 10..20);
        assert_eq!(expected_range(&GetRange::Bounded(90..120), 100), 90..100);
        assert_eq!(expected_range(&GetRange::Offset(40), 100), 40..100);
        assert_eq!(expected_range(&GetRange::Suffix(8), 100), 92..100);
        assert_eq!(expected_range(&GetRange::Suffix(800), 100), 0..100);
    }

    #[test]
    fn errors_are_located_once_and_caller_matched_ones_never() {
        let generic = || object_store::Error::Generic {
            store: "S3",
            source: "connection reset".into(),
        };
        let once = locate("get", "s3://b/k".into(), generic());
        let twice = locate("list", "s3://b/other".into(), once);
        assert_eq!(
            twice.to_string(),
            "Generic pulsetier error: get s3://b/k: Generic S3 error: connection reset"
        );
        assert_eq!(unlocated(twice).to_string(), generic().to_string());
        let missing = object_store::Error::NotFound {
            path: "k".into(),
            source: "404".into(),
        };
        assert!(matches!(
            locate("get", "s3://b/k".into(), missing),
            object_store::Error::NotFound { .. }
        ));
    }
}
