#pragma once
// Erasure that sticks: after `erase`, the registry keeps a keyed digest (HMAC-SHA-256 with a
// random secret made with the registry, schema 7) of the erased registrations' external
// references and of the child's identity key, and nothing else, so that the same child
// arriving again is recognised and not stored again.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// The keyed digests of erased children, as loaded from one registry.
class ErasedKeys {
  public:
    /// Loads the digests of `registry` (inside the caller's transaction); the secret only when
    /// there are any.
    explicit ErasedKeys(Registry& registry);
    ~ErasedKeys();
    ErasedKeys(const ErasedKeys&) = delete;
    ErasedKeys& operator=(const ErasedKeys&) = delete;

    /// Whether no child was ever erased (then contains() is always false, at no cost).
    bool empty() const { return digests_.empty(); }
    /// Whether `r` (identity key `identity`) is an erased child: its external reference or its
    /// identity key has a digest here.
    bool contains(const Registration& r, const std::string& identity) const;

  private:
    struct Hmac;
    std::unique_ptr<Hmac> hmac_;
    std::unordered_set<std::string> digests_;
};

/// The keyed digest of an external reference (`kind` "ref") or an identity key ("key") under
/// `secret`: 32 bytes.
std::string erased_digest(std::string_view secret, std::string_view kind, std::string_view value);

/// Records the digests of claimant `id` (its identity key, its own and its linked
/// registrations' references) before it is erased, inside the caller's transaction.
void remember_erased(Registry& registry, std::int64_t id);

/// The key of the content digests of stored claimants (registry.hpp, Registrar::Row), derived
/// from the registry's secret (HMAC-SHA-256 of a label, its first 16 bytes); DataError when the
/// registry has no secret.
DigestKey content_digest_key(SQLite::Database& db);

/// Makes the registry's secret (32 bytes from getrandom(2)) when it has none: schema 7.
void create_registry_secret(SQLite::Database& db);

} // namespace claimreg
