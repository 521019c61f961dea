//! `KeyStore` on both backends (key bookkeeping: ciphertexts per key id and re-sealing): one text, compiled for each backend
//! by the macro below (see the parent module for why a macro).

use super::super::StoreResult;
use super::super::records::{CredentialRecord, SessionVerifier};
use super::super::roles::KeyStore;
use super::super::rows::{self, credential_columns, key_id_union};
use super::SqlStore;
use crate::domain::{KeyIdCount, Sealed};
use async_trait::async_trait;
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

macro_rules! keys_sql {
    ($db:ty) => {
        #[async_trait]
        impl KeyStore for SqlStore<$db> {
            async fn key_id_counts(&self) -> StoreResult<Vec<KeyIdCount>> {
                // PostgreSQL's SUM of BIGINTs is NUMERIC: the CAST brings it back.
                let found = sqlx::query(concat!(
                    "SELECT key_id, CAST(SUM(n) AS BIGINT) AS n FROM (",
                    key_id_union!(),
                    ") AS used GROUP BY key_id ORDER BY key_id"
                ))
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

            async fn credentials_not_under(
                &self,
                key_id: &str,
                after: Option<(&str, &str)>,
                limit: u32,
            ) -> StoreResult<Vec<CredentialRecord>> {
                let (after_user, after_provider) = after.unzip();
                let found = sqlx::query(concat!(
                    "SELECT ",
                    credential_columns!(),
                    " FROM credentials \
                     WHERE (access_key_id <> $1 OR refresh_key_id <> $1) \
                     AND ($2 IS NULL OR (user_email, provider) > ($2, $3)) \
                     ORDER BY user_email, provider LIMIT $4"
                ))
                .bind(key_id)
                .bind(after_user)
                .bind(after_provider)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                found.iter().map(rows::credential_from_row).collect()
            }

            async fn reseal_credential(
                &self,
                user_email: &str,
                provider: &str,
                expected_version: i64,
                access_token: &Sealed,
                refresh_token: Option<&Sealed>,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE credentials SET access_token_enc = $4, access_key_id = $5, \
                     refresh_token_enc = $6, refresh_key_id = $7 \
                     WHERE user_email = $1 AND provider = $2 AND version = $3",
                )
                .bind(user_email)
                .bind(provider)
                .bind(expected_version)
                .bind(&access_token.ciphertext)
                .bind(&access_token.key_id)
                .bind(refresh_token.map(|sealed| &sealed.ciphertext))
                .bind(refresh_token.map(|sealed| &sealed.key_id))
                .execute(&self.pool)
                .await?;
                Ok(result.rows_affected() == 1)
            }

            async fn sessions_not_under(
                &self,
                key_id: &str,
                after: Option<Uuid>,
                limit: u32,
            ) -> StoreResult<Vec<SessionVerifier>> {
                let found = sqlx::query(
                    "SELECT id, pkce_key_id, pkce_verifier_enc FROM auth_sessions \
                     WHERE pkce_key_id <> $1 AND ($2 IS NULL OR id > $2) \
                     ORDER BY id LIMIT $3",
                )
                .bind(key_id)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                found
                    .iter()
                    .map(|row| {
                        Ok(SessionVerifier {
                            id: rows::column(row, "id")?,
                            pkce_verifier: Sealed {
                                key_id: rows::column(row, "pkce_key_id")?,
                                ciphertext: rows::column(row, "pkce_verifier_enc")?,
                            },
                        })
                    })
                    .collect()
            }

            async fn reseal_session_verifier(
                &self,
                id: Uuid,
                old: &Sealed,
                new: &Sealed,
            ) -> StoreResult<bool> {
                let result = sqlx::query(
                    "UPDATE auth_sessions SET pkce_verifier_enc = $4, pkce_key_id = $5 \
                     WHERE id = $1 AND pkce_key_id = $2 AND pkce_verifier_enc = $3",
                )
                .bind(id)
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

keys_sql!(Postgres);
keys_sql!(Sqlite);
