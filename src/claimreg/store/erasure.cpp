#include "claimreg/erasure.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <fmt/format.h>
#include <nettle/hmac.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimant_columns.hpp"

namespace claimreg {

namespace {

constexpr std::size_t secret_bytes = 32;

std::string load_secret(SQLite::Database& db) {
    SQLite::Statement st(db, "SELECT value FROM secrets WHERE name = 'erasure'");
    if (!st.executeStep()) throw DataError("the registry has no erasure secret");
    const SQLite::Column c = st.getColumn(0);
    std::string secret(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
    if (secret.size() != secret_bytes) throw DataError("the registry's erasure secret is damaged");
    return secret;
}

// The HMAC-SHA-256 of `kind:value` under the key of `ctx`; the context is keyed again for the
// next one.
std::string keyed_digest(hmac_sha256_ctx& ctx, std::string_view kind, std::string_view value) {
    hmac_sha256_update(&ctx, kind.size(), reinterpret_cast<const std::uint8_t*>(kind.data()));
    hmac_sha256_update(&ctx, 1, reinterpret_cast<const std::uint8_t*>(":"));
    hmac_sha256_update(&ctx, value.size(), reinterpret_cast<const std::uint8_t*>(value.data()));
    std::string out(SHA256_DIGEST_SIZE, '\0');
    hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, reinterpret_cast<std::uint8_t*>(out.data()));
    return out;
}

} // namespace

struct ErasedKeys::Hmac {
    hmac_sha256_ctx ctx{};
};

std::string erased_digest(std::string_view secret, std::string_view kind, std::string_view value) {
    hmac_sha256_ctx ctx{};
    hmac_sha256_set_key(&ctx, secret.size(), reinterpret_cast<const std::uint8_t*>(secret.data()));
    return keyed_digest(ctx, kind, value);
}

ErasedKeys::ErasedKeys(Registry& registry) {
    SQLite::Statement st(registry.db(), "SELECT digest FROM erased_keys");
    while (st.executeStep()) {
        const SQLite::Column c = st.getColumn(0);
        digests_.emplace(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
    }
    if (digests_.empty()) return;
    const std::string secret = load_secret(registry.db());
    hmac_ = std::make_unique<Hmac>();
    hmac_sha256_set_key(&hmac_->ctx, secret.size(), reinterpret_cast<const std::uint8_t*>(secret.data()));
}

ErasedKeys::~ErasedKeys() = default;

bool ErasedKeys::contains(const Registration& r, const std::string& identity) const {
    if (digests_.empty()) return false;
    if (!r.external_ref.empty() &&
        digests_.count(keyed_digest(hmac_->ctx, "ref", r.external_ref)) != 0) {
        return true;
    }
    return digests_.count(keyed_digest(hmac_->ctx, "key", identity)) != 0;
}

void remember_erased(Registry& registry, std::int64_t id) {
    SQLite::Database& db = registry.db();
    const std::string secret = load_secret(db);
    SQLite::Statement insert(db, "INSERT OR IGNORE INTO erased_keys (digest) VALUES (?)");
    const auto remember = [&](std::string_view kind, std::string_view value) {
        const std::string digest = erased_digest(secret, kind, value);
        insert.reset();
        insert.bind(1, digest.data(), static_cast<int>(digest.size()));
        insert.exec();
    };
    SQLite::Statement claimant(db, fmt::format("SELECT {}, external_ref FROM claimants WHERE id = ?",
                                               store::column_list(store::identity_fields)));
    claimant.bind(1, id);
    if (!claimant.executeStep()) return;
    remember("key", store::stored_identity_key(claimant, 0));
    const int ref = store::count_of(store::identity_fields);
    if (!claimant.getColumn(ref).isNull()) remember("ref", claimant.getColumn(ref).getString());
    SQLite::Statement refs(db, "SELECT external_ref FROM registrations WHERE claimant_id = ? AND "
                               "external_ref IS NOT NULL");
    refs.bind(1, id);
    while (refs.executeStep()) remember("ref", refs.getColumn(0).getString());
}

DigestKey content_digest_key(SQLite::Database& db) {
    const std::string derived = erased_digest(load_secret(db), "content-digest", "key");
    DigestKey key{};
    std::copy_n(reinterpret_cast<const std::uint8_t*>(derived.data()), key.size(), key.begin());
    return key;
}

void create_registry_secret(SQLite::Database& db) {
    if (db.execAndGet("SELECT count(*) FROM secrets WHERE name = 'erasure'").getInt() != 0) return;
    std::array<unsigned char, secret_bytes> secret{};
    std::size_t got = 0;
    while (got < secret.size()) {
        const ssize_t n = ::getrandom(secret.data() + got, secret.size() - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(fmt::format("cannot make the registry's secret: {}", errno_text(errno)),
                        ExitStatus::internal);
        }
        got += static_cast<std::size_t>(n);
    }
    SQLite::Statement st(db, "INSERT INTO secrets (name, value) VALUES ('erasure', ?)");
    st.bind(1, secret.data(), static_cast<int>(secret.size()));
    st.exec();
}

} // namespace claimreg
