//! The Delta log store pulsetier commits through on cloud stores: deltalake's
//! default one (a conditional put of each `_delta_log/<version>.json`), on
//! pulsetier's own object store.

use std::sync::{Arc, Once};

use deltalake::logstore::{
    default_logstore, logstore_factories, LogStore, LogStoreFactory, ObjectStoreRef, StorageConfig,
};
use deltalake::DeltaResult;

/// deltalake's default log store for the cloud schemes: it commits with a
/// conditional put on the store it is given. deltalake-core registers it for
/// `file://` and `memory://` only (its cloud crates would bring their own
/// stores, and on S3 a DynamoDB client, which pulsetier does not need: S3 has
/// conditional puts, object_store sends `If-None-Match: *` unless
/// `aws_conditional_put = "disabled"`, and then a commit fails instead of
/// risking a lost version).
struct ConditionalPutLogStore;

impl LogStoreFactory for ConditionalPutLogStore {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &url::Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

/// Register [`ConditionalPutLogStore`] for every cloud scheme
/// `storage::Location::open` accepts (keeping a factory already registered).
pub(super) fn register_log_stores() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let factories = logstore_factories();
        for scheme in ["s3", "s3a", "gs", "az", "abfs", "abfss", "azure", "adl"] {
            if let Ok(url) = url::Url::parse(&format!("{scheme}://")) {
                factories
                    .entry(url)
                    .or_insert_with(|| Arc::new(ConditionalPutLogStore));
            }
        }
    });
}
