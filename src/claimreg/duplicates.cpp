#include "claimreg/duplicates.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "duplicates_parts.hpp"
#include "store/pair_store.hpp"
#include "store/snapshot.hpp"

namespace claimreg {

double DuplicateModel::weight(Compared field, Level level) const {
    if (level == Level::missing) return 0.0;
    const auto f = static_cast<std::size_t>(field);
    const auto l = static_cast<std::size_t>(level);
    return std::log2(m[f][l] / u[f][l]);
}

std::string format_score(double score) { return fmt::format("{:.{}f}", score, score_decimals); }

using namespace duplicate_parts;

namespace {

/// The highest m of level `different` for the child's names and birth date (see its use).
constexpr double max_m_different = 0.05;

/// The keys whose pairs train the model, and the fields each constrains (bits by Compared).
struct Session {
    std::size_t key;
    unsigned excluded;
};
constexpr std::array<Session, 3> sessions = {{
    {1, 1u << 0 | 1u << 2}, // birth date + phonetic first name: m of the others
    {2, 1u << 1 | 1u << 2}, // birth date + phonetic family name
    {names_key, 1u << 0 | 1u << 1}, // first and family name
}};

// ---- blocks ----------------------------------------------------------------------------------

/// The records of one blocking key, sorted by key (then by index, i.e. by id).
struct Blocks {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges; ///< [begin, end) of blocks of 2+
};

Blocks make_blocks(const Claimants& all, std::size_t key) {
    Blocks b;
    b.entries.reserve(all.rows.size());
    for (std::size_t i = 0; i < all.rows.size(); ++i)
        if (all.rows[i].keys[key] != 0)
            b.entries.emplace_back(all.rows[i].keys[key], static_cast<std::uint32_t>(i));
    std::sort(b.entries.begin(), b.entries.end());
    for (std::size_t i = 0; i < b.entries.size();) {
        std::size_t j = i + 1;
        while (j < b.entries.size() && b.entries[j].first == b.entries[i].first) ++j;
        if (j - i >= 2)
            b.ranges.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
        i = j;
    }
    return b;
}

/// Calls visit(i, j) for each pair of a block (with `dedup`: that this key is the first to
/// propose; with `only_recent`: with a recent claimant).
template <typename Visit>
void for_each_pair(const Claimants& all, const Blocks& b, std::size_t key,
                   std::pair<std::uint32_t, std::uint32_t> range, const DuplicateOptions& options,
                   bool only_recent, bool dedup, Visit&& visit) {
    const std::size_t size = range.second - range.first;
    const std::size_t window = size > options.max_block ? options.block_window : size;
    if (only_recent) {
        bool any = false;
        for (std::uint32_t k = range.first; k < range.second && !any; ++k)
            any = all.rows[b.entries[k].second].recent;
        if (!any) return;
    }
    for (std::uint32_t x = range.first; x < range.second; ++x) {
        const std::uint32_t i = b.entries[x].second;
        const Claimant& ci = all.rows[i];
        const std::uint32_t end =
            static_cast<std::uint32_t>(std::min<std::size_t>(range.second, x + 1 + window));
        for (std::uint32_t y = x + 1; y < end; ++y) {
            const std::uint32_t j = b.entries[y].second;
            const Claimant& cj = all.rows[j];
            if (only_recent && !ci.recent && !cj.recent) continue;
            bool earlier = false;
            for (std::size_t k = 0; dedup && k < key && !earlier; ++k)
                earlier = ci.keys[k] != 0 && ci.keys[k] == cj.keys[k];
            if (earlier) continue;
            visit(i, j);
        }
    }
}

/// Runs work(t, begin, end) over [0, n) split between `threads` threads.
template <typename Work> void parallel(unsigned threads, std::size_t n, Work&& work) {
    if (threads <= 1 || n < 64) {
        work(0u, std::size_t{0}, n);
        return;
    }
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    for (unsigned t = 0; t < threads; ++t) {
        const std::size_t begin = n * t / threads, end = n * (t + 1) / threads;
        pool.emplace_back([&, t, begin, end] {
            try {
                work(t, begin, end);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

/// Whether a pair looks like two children of one family (see duplicates.hpp).
bool siblings(const Model& model, const Claimant& a, const Claimant& b, const Levels& l) {
    const bool family = l[1] == Level::exact || l[1] == Level::variant || l[1] == Level::typo;
    const bool together = l[3] == Level::exact || l[5] == Level::exact || l[5] == Level::variant ||
                          l[6] == Level::exact;
    if (!family || !together) return false;
    if (l[0] == Level::different) return true;
    // Both are first names, not one a slip of the other: each borne by enough claimants, the
    // rarer by at least a twentieth as many as the more common (a typo of Emma is rare).
    const double rare = std::min(a.first_count, b.first_count);
    const double common = std::max(a.first_count, b.first_count);
    return l[0] == Level::typo && rare >= model.established && rare * 20 >= common;
}

double score_pair(const Model& model, const Claimant& a, const Claimant& b, const Comparison& c) {
    double w = model.prior_weight;
    for (std::size_t f = 0; f < compared_count; ++f) w += model.weight[f][slot_of(c, f)];
    // Term frequency: the chance that two random claimants share this very name, instead of
    // any name.
    const double n = static_cast<double>(model.claimants);
    const auto tf = [&](std::size_t field, std::uint32_t count) {
        const double u_value = std::max(double(count), 1.0) / n;
        w += std::log2(model.u[field][static_cast<std::size_t>(Level::exact)] / u_value);
    };
    const Level first = c.levels[0], family = c.levels[1];
    if (first == Level::exact || first == Level::variant) tf(0, std::max(a.first_count, b.first_count));
    if (family == Level::exact || (family == Level::variant && !c.prefix))
        tf(1, std::max(a.whole_count, b.whole_count));
    else if (c.prefix)
        tf(1, std::max(a.last_count, b.last_count));
    // The same for a registrant's e-mail address and phone: one shared by many claimants
    // (an organisation, a bulk registrant) says less than a parent's own.
    const std::size_t registrant = registrant_slot(c.levels);
    if (registrant <= static_cast<std::size_t>(Level::typo))
        w += std::log2(model.u[5][registrant] /
                       (std::max(double(std::max(a.email_count, b.email_count)), 1.0) / n));
    double p = 1.0 / (1.0 + std::exp2(-w));
    if (siblings(model, a, b, c.levels)) p = std::min(p, sibling_cap);
    const double scale = std::pow(10.0, score_decimals);
    return std::round(p * scale) / scale;
}

struct PairHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& p) const noexcept {
        return static_cast<std::size_t>(mix64(static_cast<std::uint64_t>(p.first) * 0x9E3779B97F4A7C15ULL ^
                                              static_cast<std::uint64_t>(p.second)));
    }
};

} // namespace

DuplicateReport find_duplicates(Registry& registry, const DuplicateOptions& options) {
    DuplicateReport report;
    // One snapshot for the claimants and the decisions.
    store::ReadSnapshot snapshot(registry);

    const Claimants all = load(registry, options.since);
    std::unordered_set<std::pair<std::int64_t, std::int64_t>, PairHash> decided;
    for (const auto& pair : store::decided_pairs(registry)) decided.insert(pair);
    report.claimants = all.rows.size();
    const unsigned threads = options.threads != 0
                                 ? options.threads
                                 : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);

    Model model;
    model.claimants = all.rows.size();
    model.established = std::max(2.0, double(all.rows.size()) / 200000.0);
    model.u = measure_u(all, 1000000);

    std::array<Blocks, key_count> blocks;
    for (std::size_t k = 0; k < key_count; ++k) blocks[k] = make_blocks(all, k);

    // Training, one session per key of `sessions`: the pattern counts of its pairs (of every
    // block when there are not too many pairs, else of a fixed sample of blocks chosen by key,
    // the same for --since), then EM. A field's m is the mean of the sessions that estimate it;
    // the prior is the most matches a session finds, over all pairs.
    const double n = double(all.rows.size());
    const double all_pairs = n * (n - 1) / 2;
    Table m_sum{};
    std::array<double, compared_count> m_sessions{};
    double most_matches = 0;
    for (const Session& session : sessions) {
        const Blocks& b = blocks[session.key];
        const auto pairs_in = [&](std::pair<std::uint32_t, std::uint32_t> r) {
            const double size = r.second - r.first;
            const double w = size > double(options.max_block) ? double(options.block_window) : size;
            return size * (w - 1) / 2;
        };
        double raw_pairs = 0;
        for (const auto& r : b.ranges) raw_pairs += pairs_in(r);
        constexpr double training_pairs = 2e6;
        const std::uint64_t every =
            raw_pairs > training_pairs ? static_cast<std::uint64_t>(std::ceil(raw_pairs / training_pairs)) : 1;
        std::vector<std::vector<std::uint32_t>> local(threads);
        std::vector<double> raw(threads);
        parallel(threads, b.ranges.size(), [&](unsigned t, std::size_t begin, std::size_t stop) {
            local[t].assign(pattern_space, 0);
            for (std::size_t r = begin; r < stop; ++r) {
                const auto range = b.ranges[r];
                if (every > 1 && mix64(b.entries[range.first].first) % every != 0) continue;
                raw[t] += pairs_in(range);
                for_each_pair(all, b, session.key, range, options, false, false,
                              [&](std::uint32_t i, std::uint32_t j) {
                                  ++local[t][pattern_of(compare(all, all.rows[i], all.rows[j]))];
                              });
            }
        });
        std::vector<std::pair<std::uint32_t, double>> patterns;
        double sampled = 0;
        for (unsigned t = 0; t < threads; ++t) sampled += raw[t];
        for (std::uint32_t p = 0; p < pattern_space; ++p) {
            double count = 0;
            for (unsigned t = 0; t < threads; ++t)
                if (!local[t].empty()) count += local[t][p];
            if (count != 0) patterns.emplace_back(p, count);
        }
        const auto [m, share] = estimate_m(patterns, model.u, session.excluded, 10.0);
        for (std::size_t f = 0; f < compared_count; ++f) {
            if ((session.excluded >> f & 1u) != 0) continue;
            for (std::size_t s = 0; s < slots; ++s) m_sum[f][s] += m[f][s];
            m_sessions[f] += 1;
        }
        if (sampled > 0) most_matches = std::max(most_matches, share * sampled * raw_pairs / sampled);
    }
    model.m = initial_m();
    for (std::size_t f = 0; f < compared_count; ++f)
        if (m_sessions[f] > 0)
            for (std::size_t s = 0; s < slots; ++s)
                model.m[f][s] = possible(f, s) ? m_sum[f][s] / m_sessions[f] : 1.0;
    // A second registration of a child rarely has another name or birth date altogether; EM
    // over blocks that hold families (siblings agree on all but those) overrates it, so it
    // is held to max_m_different, the other levels keeping their proportions.
    for (std::size_t f = 0; f <= 2; ++f) {
        double& different = model.m[f][static_cast<std::size_t>(Level::different)];
        if (different <= max_m_different) continue;
        const double scale = (1.0 - max_m_different) / (1.0 - different);
        for (std::size_t s = 0; s < slots; ++s)
            if (possible(f, s) && s != static_cast<std::size_t>(Level::different)) model.m[f][s] *= scale;
        different = max_m_different;
    }
    model.prior = all_pairs > 0 ? std::clamp(most_matches / all_pairs, 1e-12, 0.5) : 0.5;
    model.finish();
    blocks[names_key] = {};

    // Scoring.
    const bool only_recent = !options.since.empty();
    std::vector<std::vector<DuplicatePair>> found(threads);
    std::vector<std::uint64_t> compared(threads), capped(threads);
    for (std::size_t k = 0; k < scoring_keys; ++k) {
        const Blocks& b = blocks[k];
        parallel(threads, b.ranges.size(), [&](unsigned t, std::size_t begin, std::size_t stop) {
            for (std::size_t r = begin; r < stop; ++r) {
                const auto range = b.ranges[r];
                if (range.second - range.first > options.max_block) ++capped[t];
                for_each_pair(all, b, k, range, options, only_recent, true, [&](std::uint32_t i, std::uint32_t j) {
                    const Claimant& a = all.rows[i];
                    const Claimant& c = all.rows[j];
                    ++compared[t];
                    const Comparison cmp = compare(all, a, c);
                    const double score = score_pair(model, a, c, cmp);
                    if (score < options.min_score) return;
                    found[t].push_back({score, std::min(a.id, c.id), std::max(a.id, c.id), cmp.levels});
                });
            }
        });
    }
    blocks = {};
    for (unsigned t = 0; t < threads; ++t) {
        report.compared += compared[t];
        report.capped_blocks += capped[t];
        for (const DuplicatePair& p : found[t])
            if (!decided.contains({p.a, p.b})) report.pairs.push_back(p);
        found[t] = {};
    }
    const auto better = [](const DuplicatePair& x, const DuplicatePair& y) {
        if (x.score != y.score) return x.score > y.score;
        if (x.a != y.a) return x.a < y.a;
        return x.b < y.b;
    };
    if (options.limit != 0 && report.pairs.size() > options.limit) {
        std::partial_sort(report.pairs.begin(),
                          report.pairs.begin() + static_cast<std::ptrdiff_t>(options.limit),
                          report.pairs.end(), better);
        report.pairs.resize(options.limit);
    } else {
        std::sort(report.pairs.begin(), report.pairs.end(), better);
    }
    for (std::size_t f = 0; f < compared_count; ++f)
        for (std::size_t l = 0; l < level_count; ++l) {
            report.model.m[f][l] = model.m[f][l];
            report.model.u[f][l] = model.u[f][l];
        }
    report.model.prior = model.prior;
    return report;
}

} // namespace claimreg
