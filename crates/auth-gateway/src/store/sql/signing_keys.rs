//! `SigningKeyStore` on both backends (the access-token signing keys): one text,
//! compiled for each backend by the macro below (see the parent module for why a macro).
//! "Current" is `current_slot = 1`, unique, so concurrent first inserts and rotations
//! cannot leave two current keys.

use super::super::StoreResult;
use super::super::records::{NewSigningKey, SigningKeyRecord};
use super::super::roles::SigningKeyStore;
use super::super::rows::{self, RecordRow, column};
use super::{Dialect, SqlStore};
use crate::domain::{KeyIdCount, Sealed};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Postgres, Sqlite, Type};

/// The columns `signing_key_from_row` reads.
macro_rules! signing_key_columns {
    () => {
        "kid, algorithm, public_key, private_key_enc, private_key_id, created_at, retires_at"
    };
}

fn signing_key_from_row<R>(row: &R) -> StoreResult<SigningKeyRecord>
where
    R: RecordRow,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database>,
    String: Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database>,
    Vec<u8>: Type<R::Database>,
{
    Ok(SigningKeyRecord {
        kid: column(row, "kid")?,
        algorithm: column(row, "algorithm")?,
        public_key: column(row, "public_key")?,
        private_key: Sealed {
            key_id: column(row, "private_key_id")?,
            ciphertext: column(row, "private_key_enc")?,
        },
        created_at: row.time("created_at")?,
        retires_at: row.optional_time("retires_at")?,
    })
}

/// The INSERT of a new current key; `ON CONFLICT DO NOTHING` covers the kid and the
/// one-current-key constraint alike.
const INSERT_CURRENT: &str = "INSERT INTO signing_keys (kid, algorithm, public_key, \
     private_key_enc, private_key_id, current_slot, created_at, retires_at) \
     VALUES ($1, $2, $3, $4, $5, 1, $6, NULL) ON CONFLICT DO NOTHING";

macro_rules! signing_keys_sql {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn insert_current(
                key: &NewSigningKey,
            ) -> sqlx::query::Query<'_, $db, <$db as sqlx::Database>::Arguments> {
                sqlx::query(INSERT_CURRENT)
                    .bind(&key.kid)
                    .bind(&key.algorithm)
                    .bind(&key.public_key)
                    .bind(&key.private_key.ciphertext)
                    .bind(&key.private_key.key_id)
                    .bind(Self::time(key.created_at))
            }
        }

        #[async_trait]
        impl SigningKeyStore for SqlStore<$db> {
            async fn current_signing_key(&self) -> StoreResult<Option<SigningKeyRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    signing_key_columns!(),
                    " FROM signing_keys WHERE current_slot = 1"
                ))
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(signing_key_from_row).transpose()
            }

            async fn insert_first_signing_key(&self, key: &NewSigningKey) -> StoreResult<bool> {
                let result = Self::insert_current(key).execute(&self.pool).await?;
                Ok(result.rows_affected() == 1)
            }

            async fn rotate_signing_key(
                &self,
                expected_current: &str,
                key: &NewSigningKey,
                previous_retires_at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let retired = sqlx::query(
                    "UPDATE signing_keys SET current_slot = NULL, retires_at = $2 \
                     WHERE kid = $1 AND current_slot = 1",
                )
                .bind(expected_current)
                .bind(Self::time(previous_retires_at))
                .execute(&mut *tx)
                .await?;
                if retired.rows_affected() != 1 {
                    return Ok(false);
                }
                let inserted = Self::insert_current(key).execute(&mut *tx).await?;
                if inserted.rows_affected() != 1 {
                    return Ok(false);
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn published_signing_keys(
                &self,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<SigningKeyRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    signing_key_columns!(),
                    " FROM signing_keys WHERE current_slot = 1 OR retires_at > $1 \
                     ORDER BY created_at DESC, kid"
                ))
                .bind(Self::time(now))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(signing_key_from_row).collect()
            }

            async fn delete_signing_keys_retired_before(
                &self,
                before: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let result = sqlx::query("DELETE FROM signing_keys WHERE retires_at < $1")
                    .bind(Self::time(before))
                    .execute(&self.pool)
                    .await?;
                Ok(result.rows_affected())
            }

            async fn signing_key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>> {
                let found = sqlx::query(
                    "SELECT private_key_id AS key_id, COUNT(*) AS n FROM signing_keys \
                     GROUP BY private_key_id ORDER BY private_key_id",
                )
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(KeyIdCount {
                            key_id: rows::column(row, "key_id")?,
                            ciphertexts: rows::count(row, "n")?,
                        })
                    })
                    .collect()
            }

            async fn signing_keys_not_under(
                &self,
                key_id: &str,
            ) -> StoreResult<Vec<SigningKeyRecord>> {
                let found = sqlx::query(concat!(
                    "SELECT ",
                    signing_key_columns!(),
                    " FROM signing_keys WHERE private_key_id <> $1 ORDER BY kid"
                ))
                .bind(key_id)
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(signing_key_from_row).collect()
            }

            async fn reseal_signing_key(
                &self,
                kid: &str,
                old: &Sealed,
                new: &Sealed,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE signing_keys SET private_key_enc = $4, private_key_id = $5 \
                     WHERE kid = $1 AND private_key_id = $2 AND private_key_enc = $3",
                )
                .bind(kid)
                .bind(&old.key_id)
                .bind(&old.ciphertext)
                .bind(&new.ciphertext)
                .bind(&new.key_id)
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }
        }
    };
}

signing_keys_sql!(Postgres);
signing_keys_sql!(Sqlite);
