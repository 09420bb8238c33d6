// gen_registrations — deterministic generator of realistic Dutch claimant registrations.
//
//   gen_registrations --rows N [--seed S] [--duplicates PCT] [--changed PCT]
//                     [--near-duplicates PCT --truth FILE]
//
// Writes CSV (canonical column names, comma, LF, UTF-8, RFC 4180 quoting) on stdout. Every row
// is valid under SPEC.md. About PCT% (default 2) of the rows are duplicates of an earlier child:
// either the same submission again (same external_ref, same values) or the other parent
// registering the same child (new external_ref, other registrant), sometimes with the name
// typed differently
// ("Zoë" -> "Zoe", "van der" -> "Van der", prefix moved into the last-name column).
// Siblings (same family, address and parent, different first name) are NOT duplicates.
//
// --near-duplicates PCT adds, after about PCT% of the rows, a registration that the exact
// identity key misses: an earlier child again with a typo in the first or the family name, day
// and month swapped, a digit of the birth date wrong, the prefix dropped, or after a move (new
// postcode and house number, by the same parent), registered by the same parent or the other
// one; and, as hard
// negatives, a twin or a sibling with a look-alike first name (Sem/Sam, Fleur/Floor) registered
// by the same parent. --truth FILE gets one line `CHILD<TAB>EXTERNAL_REF` for each registration
// of a child that has a near-duplicate (the rows of one CHILD are one child): the bench maps the
// references to claimant ids. Without --near-duplicates the output is unchanged.
//
// Deterministic: a fixed PRNG (splitmix64 / xoshiro256**) seeded from --seed; same arguments give
// byte-identical output. Every child is a pure function of (seed, child index, registration row),
// so duplicates are regenerated instead of remembered (memory: 4 bytes per child).
//
// Standard library only; no project code.

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using u64 = std::uint64_t;
using u32 = std::uint32_t;
using std::string_view;

// ---------------------------------------------------------------------------------------------
// Randomness

u64 splitmix64(u64& state) {
  state += 0x9E3779B97F4A7C15ULL;
  u64 z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A stable hash of (seed, index, stream): the seed of every per-child / per-row generator.
u64 mix(u64 seed, u64 index, u64 stream) {
  u64 s = seed ^ (index * 0xD1B54A32D192ED03ULL) ^ (stream * 0xC2B2AE3D27D4EB4FULL);
  splitmix64(s);
  return splitmix64(s);
}

class Rng {
 public:
  explicit Rng(u64 seed) {
    u64 x = seed;
    for (auto& v : s_) v = splitmix64(x);
  }
  u64 next() {  // xoshiro256**
    const u64 result = rotl(s_[1] * 5, 7) * 9;
    const u64 t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (multiply-shift; the bias is far below anything visible here).
  u32 below(u32 n) { return static_cast<u32>(((next() >> 32) * n) >> 32); }
  u64 below64(u64 n) { return next() % n; }
  int between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(below(static_cast<u32>(hi - lo + 1)));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Index in [0, n) skewed towards the front (u^1.5; lists are ordered common-first).
  std::size_t skewed(std::size_t n) {
    const double u = unit();
    const auto i = static_cast<std::size_t>(static_cast<double>(n) * u * std::sqrt(u));
    return i < n ? i : n - 1;
  }

 private:
  static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<u64, 4> s_{};
};

template <class T, std::size_t N>
const T& pick(Rng& rng, const std::array<T, N>& items) {
  return items[rng.below(static_cast<u32>(N))];
}

template <std::size_t N>
string_view pick_weighted(Rng& rng, const std::array<std::pair<string_view, int>, N>& items) {
  int total = 0;
  for (const auto& it : items) total += it.second;
  int r = static_cast<int>(rng.below(static_cast<u32>(total)));
  for (const auto& it : items) {
    if (r < it.second) return it.first;
    r -= it.second;
  }
  return items[N - 1].first;
}

// ---------------------------------------------------------------------------------------------
// Calendar (days since 1970-01-01, proleptic Gregorian; H. Hinnant's algorithms)

struct Ymd {
  int y, m, d;
};

int days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Ymd civil_from_days(int z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = yoe + era * 400;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int d = doy - (153 * mp + 2) / 5 + 1;
  const int m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Same calendar day n years later/earlier; 29 Feb becomes 28 Feb in a non-leap year (only used
// for bounds, where the earlier day is the safe side).
int add_years(int day, int n) {
  Ymd t = civil_from_days(day);
  t.y += n;
  if (t.m == 2 && t.d == 29 && !is_leap(t.y)) t.d = 28;
  return days_from_civil(t.y, t.m, t.d);
}

// Completed years on day `on`; a 29 Feb birthday counts from 1 March in non-leap years.
int age_on(int birth, int on) {
  const Ymd b = civil_from_days(birth);
  const Ymd o = civil_from_days(on);
  int age = o.y - b.y;
  int bm = b.m, bd = b.d;
  if (bm == 2 && bd == 29 && !is_leap(o.y)) {
    bm = 3;
    bd = 1;
  }
  if (o.m < bm || (o.m == bm && o.d < bd)) --age;
  return age;
}

const int kBirthMin = days_from_civil(2002, 1, 1);
const int kBirthMax = days_from_civil(2016, 12, 31);
const int kUseMin = days_from_civil(2015, 1, 1);
const int kUseMax = days_from_civil(2024, 6, 30);
const int kLastUseMax = days_from_civil(2025, 12, 31);
const int kMerge = days_from_civil(2018, 8, 2);
const int kMusicallyLate = days_from_civil(2019, 3, 31);
const int kRegMin = days_from_civil(2024, 1, 15);
const int kRegMax = days_from_civil(2025, 10, 31);

// ---------------------------------------------------------------------------------------------
// Name material (invented combinations; lists ordered roughly common-first)

constexpr auto kChildFirst = std::to_array<string_view>({
    "Emma", "Daan", "Julia", "Sem", "Sophie", "Lucas", "Tess", "Levi", "Mila", "Finn",
    "Sara", "Milan", "Zoë", "Bram", "Anna", "Thijs", "Eva", "Luuk", "Lotte", "Noah",
    "Fenna", "Jesse", "Nora", "Liam", "Lieke", "Ruben", "Isa", "Sven", "Yara", "Lars",
    "Saar", "Tim", "Noor", "Thomas", "Fleur", "Stijn", "Femke", "Gijs", "Sanne", "Mees",
    "Lisa", "Jayden", "Iris", "Julian", "Roos", "Max", "Jasmijn", "Sam", "Esmee", "Tijn",
    "Elin", "Niels", "Nina", "Bas", "Lynn", "Teun", "Lana", "Koen", "Evi", "Jens",
    "Chloë", "Daniël", "Sofie", "Ryan", "Maud", "Dex", "Romy", "Siem", "Floor", "Mats",
    "Liv", "Hugo", "Indy", "Olivier", "Jill", "Tygo", "Kiki", "Jurre", "Britt", "Floris",
    "Demi", "Wouter", "Merel", "Kevin", "Fay", "Nick", "Amber", "Dylan", "Naomi", "Rick",
    "Mohammed", "Fatima", "Adam", "Aya", "Ayoub", "Amira", "Youssef", "Yasmina", "Bilal",
    "Salma", "Rayan", "Malak", "Emir", "Hiba", "Mert", "Elif", "Ömer", "Zeynep", "Yusuf",
    "İlayda", "Ibrahim", "Özlem", "Mohamed", "Büşra", "Anaïs", "Noë", "Émile", "Raphaël",
    "Noémi", "Gaël", "Inès", "Joël", "Loïs", "Michaël", "Joëlle", "Matéo", "Renée",
    "Maëlle", "Océane", "Léa", "Ecem", "Ayşe", "Joep", "Stan", "Cas", "Pim", "Jelle",
    "Hidde", "Sepp", "Anouk", "Jolien", "Ilse", "Marit", "Nienke", "Wietske", "Sietske",
    "Dewi", "Priya", "Shanti", "Kayleigh", "Maja", "Zuzanna", "Wiktoria", "Oliwia",
    "Luna", "Hailey", "Lina", "Hanna", "Vera", "Puck", "Sil", "Ties", "Guus", "Morris",
    "Quinten", "Xavi", "Joris", "Rens", "Boaz", "Ilias", "Imane", "Soufiane", "Kerem", "Defne",
});

constexpr auto kParentFirst = std::to_array<string_view>({
    "Jeroen", "Marieke", "Martijn", "Sandra", "Dennis", "Linda", "Sander", "Esther", "Erik",
    "Marloes", "Mark", "Ingrid", "Marco", "Petra", "Paul", "Wendy", "Peter", "Kim", "Robert",
    "Anouk", "Richard", "Saskia", "Patrick", "Manon", "Michiel", "Miranda", "Bas", "Monique",
    "Niels", "Nicole", "Ruud", "Ilse", "Kees", "Karin", "René", "Judith", "André", "Femke",
    "Remco", "Sanne", "Vincent", "Ellen", "Arjen", "Anja", "Joost", "Inge", "Edwin", "Renée",
    "Ronald", "Daniëlle", "Wouter", "Mariëlle", "Jasper", "Joëlle", "Maarten", "Chantal",
    "Frank", "Priscilla", "Hans", "Annemieke", "Stefan", "Natasja", "Mohamed", "Fatma",
    "Ahmed", "Hatice", "Mustafa", "Özlem", "Hasan", "Ayşe", "Hüseyin", "Emine", "Rachid",
    "Naima", "Khalid", "Khadija", "Murat", "Samira", "Abdelkader", "Malika", "Tomasz",
    "Agnieszka", "Piotr", "Katarzyna", "Rajesh", "Sharon", "Sunil", "Anita", "Jörg",
    "Hélène", "Björn", "Cécile", "Gerrit", "Noëlle", "Arnoud", "Brigitte", "Rob", "Ineke",
    "Raymond", "Yvonne", "Gökhan", "Şükran",
});

struct Surname {
  string_view prefix;
  string_view last;
};

constexpr auto kPlainSurname = std::to_array<Surname>({
    {"", "Jansen"},     {"", "Bakker"},    {"", "Visser"},     {"", "Smit"},
    {"", "Meijer"},     {"", "Mulder"},    {"", "Bos"},        {"", "Vos"},
    {"", "Peters"},     {"", "Hendriks"},  {"", "Dekker"},     {"", "Brouwer"},
    {"", "Dijkstra"},   {"", "Smits"},     {"", "Kok"},        {"", "Jacobs"},
    {"", "Vermeulen"},  {"", "Schouten"},  {"", "Willems"},    {"", "Hoekstra"},
    {"", "Maas"},       {"", "Verhoeven"}, {"", "Koster"},     {"", "Prins"},
    {"", "Blom"},       {"", "Huisman"},   {"", "Peeters"},    {"", "Kuipers"},
    {"", "Post"},       {"", "Kuiper"},    {"", "Veenstra"},   {"", "Kramer"},
    {"", "Scholten"},   {"", "Martens"},   {"", "Vink"},       {"", "Hermans"},
    {"", "Timmermans"}, {"", "Groen"},     {"", "Gerritsen"},  {"", "Bosch"},
    {"", "Wijnands"},   {"", "Evers"},     {"", "Postma"},     {"", "Bouwman"},
    {"", "Jonker"},     {"", "Verbeek"},   {"", "Claessens"},  {"", "Goossens"},
    {"", "Wouters"},    {"", "Hoogland"},  {"", "Zwart"},      {"", "Boersma"},
    {"", "Hofman"},     {"", "Koopman"},   {"", "Teunissen"},  {"", "Driessen"},
    {"", "Mertens"},    {"", "Bosman"},    {"", "Bergsma"},    {"", "Dijkman"},
    {"", "Kaya"},       {"", "Yılmaz"},    {"", "Öztürk"},     {"", "Çelik"},
    {"", "Demir"},      {"", "Şahin"},     {"", "Aydın"},      {"", "Yıldız"},
    {"", "El Amrani"},  {"", "Bouzid"},    {"", "Benali"},     {"", "Ait Taleb"},
    {"", "Haddou"},     {"", "Nowak"},     {"", "Kowalski"},   {"", "Nguyen"},
    {"", "Tran"},       {"", "Pinas"},     {"", "Mahabier"},   {"", "Ramdin"},
    {"", "Sewnath"},    {"", "Müller"},    {"", "Schmidt"},    {"", "Lambrecht"},
    {"", "Sijbrandij"}, {"", "Kloosterman"}, {"", "Rietveld"}, {"", "Wessels"},
    {"", "Lammers"},    {"", "Brink"},     {"", "Kuijpers"},   {"", "Stam"},
    {"", "Molenaar"},   {"", "Schipper"},  {"", "Sanders"},    {"", "Hoogendoorn"},
    {"", "Nijland"},    {"", "Hoekman"},   {"", "Wolters"},    {"", "Bijl"},
    {"", "Geerts"},     {"", "Heijnen"},   {"", "Mol"},        {"", "Pronk"},
    {"", "Hamers"},     {"", "Roelofs"},   {"", "Faber"},      {"", "Dijk"},
    {"", "Verschuren"}, {"", "Zijlstra"},  {"", "Terpstra"},   {"", "Wagenaar"},
    {"", "Aksoy"},      {"", "Doğan"},     {"", "Chaoui"},     {"", "Ouali"},
    {"", "Kowalczyk"},  {"", "Wiśniewski"},
});

constexpr auto kPrefixedSurname = std::to_array<Surname>({
    {"de", "Vries"},      {"de", "Jong"},       {"van", "Dijk"},        {"van den", "Berg"},
    {"de", "Boer"},       {"van der", "Meer"},  {"de", "Groot"},        {"van", "Leeuwen"},
    {"de", "Wit"},        {"de", "Graaf"},      {"van der", "Linden"},  {"de", "Haan"},
    {"van den", "Heuvel"}, {"van der", "Veen"}, {"van den", "Broek"},   {"de", "Bruijn"},
    {"de", "Bruin"},      {"van der", "Heijden"}, {"van", "Beek"},      {"van", "Vliet"},
    {"van de", "Ven"},    {"van", "Dam"},       {"van der", "Wal"},     {"de", "Lange"},
    {"van", "Wijk"},      {"van den", "Brink"}, {"de", "Ruiter"},       {"van der", "Berg"},
    {"'t", "Hart"},       {"in 't", "Veld"},    {"ter", "Horst"},       {"ten", "Brink"},
    {"van 't", "Hof"},    {"op den", "Akker"},  {"van", "Es"},          {"den", "Hartog"},
    {"van der", "Laan"},  {"van", "Rijn"},      {"van", "Gils"},        {"van der", "Pol"},
    {"van den", "Bosch"}, {"ter", "Beek"},      {"ten", "Hove"},        {"op de", "Beek"},
    {"van", "Dongen"},    {"uit den", "Bogaard"}, {"de", "Kok"},        {"van", "Veen"},
    {"de", "Jager"},      {"van", "Loon"},      {"van der", "Steen"},   {"van 't", "Zand"},
});

// ---------------------------------------------------------------------------------------------
// Transliteration: "Zoë" -> "Zoe", "İlayda" -> "Ilayda", "Yılmaz" -> "Yilmaz"

constexpr string_view kLatin1 =  // U+00C0 .. U+00FF
    "AAAAAAACEEEEIIII"
    "DNOOOOOxOUUUUYTs"
    "aaaaaaaceeeeiiii"
    "dnooooo/ouuuuyty";
constexpr string_view kLatinExtA =  // U+0100 .. U+017F
    "AaAaAaCcCcCcCcDd"
    "DdEeEeEeEeEeGgGg"
    "GgGgHhHhIiIiIiIi"
    "IiIiJjKkkLlLlLlL"
    "lLlNnNnNnnNnOoOo"
    "OoOoRrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUu"
    "UuUuWwYyYZzZzZzs";
static_assert(kLatin1.size() == 64 && kLatinExtA.size() == 128);

enum class Translit {
  strip,  // accents removed, everything else kept ("Zoë" -> "Zoe", "’t" -> "'t")
  fold,   // lower-case ASCII letters and digits only ("van 't Hof" -> "vanthof")
};

void translit(string_view in, std::string& out, Translit mode) {
  for (std::size_t i = 0; i < in.size();) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    char c = 0;
    if (b0 < 0x80) {
      c = static_cast<char>(b0);
      i += 1;
    } else if ((b0 & 0xE0) == 0xC0 && i + 1 < in.size()) {
      const unsigned cp = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(in[i + 1]) & 0x3Fu);
      if (cp >= 0xC0 && cp <= 0xFF) c = kLatin1[cp - 0xC0];
      else if (cp >= 0x100 && cp <= 0x17F) c = kLatinExtA[cp - 0x100];
      i += 2;
    } else if ((b0 & 0xF0) == 0xE0 && i + 2 < in.size()) {
      const unsigned cp = ((b0 & 0x0Fu) << 12) |
                          ((static_cast<unsigned char>(in[i + 1]) & 0x3Fu) << 6) |
                          (static_cast<unsigned char>(in[i + 2]) & 0x3Fu);
      if (cp == 0x2019) c = '\'';
      i += 3;
    } else {
      i += 1;
    }
    if (c == 0) continue;
    if (mode == Translit::fold) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
    }
    out.push_back(c);
  }
}

bool is_ascii(string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

std::vector<std::string> fold_all(const string_view* names, std::size_t n) {
  std::vector<std::string> folded(n);
  for (std::size_t i = 0; i < n; ++i) translit(names[i], folded[i], Translit::fold);
  return folded;
}

// ---------------------------------------------------------------------------------------------
// People, families, children

constexpr std::array<std::pair<string_view, int>, 10> kParentDomains = {{
    {"gmail.com", 30}, {"hotmail.nl", 20}, {"ziggo.nl", 12}, {"kpnmail.nl", 10},
    {"outlook.com", 12}, {"hotmail.com", 5}, {"live.nl", 4}, {"icloud.com", 4},
    {"planet.nl", 2}, {"xs4all.nl", 1},
}};
constexpr std::array<std::pair<string_view, int>, 4> kChildDomains = {{
    {"gmail.com", 50}, {"outlook.com", 20}, {"icloud.com", 20}, {"hotmail.com", 10},
}};

struct Person {
  std::string name;   // registrant_name cell
  std::string email;
  std::string phone;  // may be empty
};

void append_surname(std::string& out, const Surname& s) {
  if (!s.prefix.empty()) {
    out += s.prefix;
    out += ' ';
  }
  out += s.last;
}

void append_int(std::string& out, unsigned v, int width) {
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 || n < width);
  while (n > 0) out.push_back(tmp[--n]);
}

// "anna@x.nl" -> "anna2@x.nl": keeps two people's addresses apart.
void tag_email(std::string& email, char tag) {
  const std::size_t at = email.find('@');
  std::string tagged(email, 0, at);
  tagged += tag;
  tagged.append(email, at, std::string::npos);
  email.swap(tagged);
}

void make_phone(Rng& rng, std::string& out) {
  out.clear();
  char d[8];
  d[0] = static_cast<char>('1' + rng.below(6));
  for (int i = 1; i < 8; ++i) d[i] = static_cast<char>('0' + rng.below(10));
  const string_view digits(d, 8);
  const u32 style = rng.below(100);
  if (style < 30) {  // 06 1234 5678
    out += "06 ";
    out += digits.substr(0, 4);
    out += ' ';
    out += digits.substr(4);
  } else if (style < 60) {  // 0612345678
    out += "06";
    out += digits;
  } else if (style < 70) {  // 06-12345678
    out += "06-";
    out += digits;
  } else if (style < 90) {  // +31612345678
    out += "+316";
    out += digits;
  } else {  // +31 6 12345678
    out += "+31 6 ";
    out += digits;
  }
}

// Registrant name, e-mail and phone for someone called `first` with surname `sur`.
void make_person(Rng& rng, string_view first, const Surname& sur, bool child, double phone_p,
                 Person& p) {
  p.name.clear();
  const u32 style = child ? 99 : rng.below(100);
  if (style < 2) {  // "de Vries, Anna" (typed surname-first)
    append_surname(p.name, sur);
    p.name += ", ";
    p.name += first;
  } else if (style < 5) {  // "A. de Vries"
    std::string initial;
    translit(first.substr(0, first[0] & 0x80 ? 2 : 1), initial, Translit::strip);
    p.name += initial;
    p.name += ". ";
    append_surname(p.name, sur);
  } else {
    p.name += first;
    p.name += ' ';
    append_surname(p.name, sur);
  }

  std::string f, l;
  translit(first, f, Translit::fold);
  translit(sur.prefix, l, Translit::fold);
  translit(sur.last, l, Translit::fold);
  p.email.clear();
  const u32 fmt = (style >= 2 && style < 5) ? 2 : rng.below(7);
  switch (fmt) {
    case 0: p.email += f; p.email += '.'; p.email += l; break;
    case 1: p.email += f; p.email += l; break;
    case 2: p.email += f.substr(0, 1); p.email += '.'; p.email += l; break;
    case 3:
      p.email += f; p.email += '.'; p.email += l;
      append_int(p.email, rng.below(100), 2);
      break;
    case 4: p.email += f; p.email += '_'; p.email += l; break;
    case 5:
      p.email += f;
      append_int(p.email, static_cast<unsigned>(child ? rng.between(2002, 2016)
                                                      : rng.between(1966, 1992)), 4);
      break;
    default: p.email += l; p.email += '.'; p.email += f; break;
  }
  p.email += '@';
  p.email += child ? pick_weighted(rng, kChildDomains) : pick_weighted(rng, kParentDomains);

  if (rng.chance(phone_p)) make_phone(rng, p.phone);
  else p.phone.clear();
}

const Surname& random_surname(Rng& rng) {
  if (rng.chance(0.30)) return kPrefixedSurname[rng.skewed(kPrefixedSurname.size())];
  return kPlainSurname[rng.skewed(kPlainSurname.size())];
}

// A parent carries the child's surname, their own, or both ("Bakker-de Vries").
void make_parent(Rng& rng, std::size_t first, const Surname& child_sur, Person& p) {
  const u32 kind = rng.below(100);
  std::string scratch;  // outlives the make_person call
  Surname s = child_sur;
  if (kind >= 60) {
    const Surname& own = random_surname(rng);
    if (kind < 94) {
      s = own;
    } else {
      append_surname(scratch, own);
      scratch += '-';
      append_surname(scratch, child_sur);
      s = Surname{"", scratch};
    }
  }
  make_person(rng, kParentFirst[first], s, false, 0.70, p);
}

struct Family {
  Surname sur;
  string_view country;
  std::string postcode;
  std::string house;
  bool guardian = false;
  std::size_t a_first = 0;
  Person a, b;  // the two parents: a registers first; b is made only for a duplicate
};

constexpr string_view kPostcodeLetters = "ABCDEGHJKLMNPRSTVWXZ";

void make_family(u64 seed, u64 root, Family& fam) {
  Rng rng(mix(seed, root, 1));
  fam.sur = random_surname(rng);

  fam.postcode.clear();
  const u32 where = rng.below(1000);
  if (where < 996) {
    fam.country = "NL";
    append_int(fam.postcode, static_cast<unsigned>(rng.between(1011, 9999)), 4);
    char l1 = 0, l2 = 0;
    do {
      l1 = kPostcodeLetters[rng.below(static_cast<u32>(kPostcodeLetters.size()))];
      l2 = kPostcodeLetters[rng.below(static_cast<u32>(kPostcodeLetters.size()))];
    } while (l1 == 'S' && (l2 == 'A' || l2 == 'D' || l2 == 'S'));
    fam.postcode += ' ';
    fam.postcode += l1;
    fam.postcode += l2;
  } else if (where < 998) {  // just across the border
    fam.country = "BE";
    append_int(fam.postcode, static_cast<unsigned>(rng.between(1000, 9999)), 4);
  } else {
    fam.country = "DE";
    append_int(fam.postcode, static_cast<unsigned>(rng.between(10115, 99998)), 5);
  }

  fam.house.clear();
  const u32 size = rng.below(100);
  append_int(fam.house, static_cast<unsigned>(size < 70   ? rng.between(1, 99)
                                              : size < 95 ? rng.between(100, 299)
                                                          : rng.between(300, 999)), 1);
  const u32 suffix = rng.below(100);
  if (suffix < 8) fam.house += static_cast<char>('a' + rng.below(4));
  else if (suffix < 11) fam.house += static_cast<char>('A' + rng.below(4));
  else if (suffix < 16) {
    fam.house += '-';
    append_int(fam.house, 1 + rng.below(3), 1);
  } else if (suffix < 18) {
    fam.house += ' ';
    fam.house += static_cast<char>('A' + rng.below(3));
  }

  fam.guardian = rng.chance(0.04);

  fam.a_first = rng.skewed(kParentFirst.size());
  make_parent(rng, fam.a_first, fam.sur, fam.a);
}

// The other parent: only needed for a duplicate, so made on demand from its own stream.
void make_other_parent(u64 seed, u64 root, const std::vector<std::string>& parent_fold,
                       Family& fam) {
  Rng rng(mix(seed, root, 6));
  std::size_t b_first = 0;
  do {
    b_first = rng.below(static_cast<u32>(kParentFirst.size()));
  } while (parent_fold[b_first] == parent_fold[fam.a_first]);
  make_parent(rng, b_first, fam.sur, fam.b);
  if (fam.b.email == fam.a.email) tag_email(fam.b.email, '2');
}

struct Child {
  std::size_t first = 0;  // index into kChildFirst
  int birth = 0, first_use = 0, last_use = -1;
  string_view platform, relation, consent;
  bool self = false;
  Person own;  // when self-registered
};

struct Calendar {
  u64 seed;
  u64 rows;
  // Registration day of output row r: front-loaded (the campaign launch), monotonic in r.
  int reg_day(u64 r) const {
    const double x = (static_cast<double>(r) + 0.5) / static_cast<double>(rows);
    const double f = 1.0 - (1.0 - x) * std::sqrt(1.0 - x);
    const int span = kRegMax - kRegMin + 1;
    const int d = kRegMin + static_cast<int>(f * span);
    return d > kRegMax ? kRegMax : d;
  }
  int reg_second(u64 r) const {
    static constexpr std::array<int, 24> kHourWeight = {2, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 10,
                                                        11, 11, 10, 10, 11, 12, 14, 18, 22, 22,
                                                        16, 8};
    Rng rng(mix(seed, r, 3));
    int total = 0;
    for (int w : kHourWeight) total += w;
    int x = static_cast<int>(rng.below(static_cast<u32>(total)));
    int hour = 0;
    while (x >= kHourWeight[static_cast<std::size_t>(hour)]) x -= kHourWeight[static_cast<std::size_t>(hour++)];
    return hour * 3600 + static_cast<int>(rng.below(3600));
  }
  // Numbered per seed: files of different seeds are different submissions (a reference seen
  // again is the same submission, possibly corrected).
  u64 ref(u64 r) const { return (seed % 1000) * 10000000000ULL + 1000 + 3 * r + mix(seed, r, 4) % 3; }
};

class Generator {
 public:
  Generator(u64 seed, u64 rows)
      : cal_{seed, rows},
        child_fold_(fold_all(kChildFirst.data(), kChildFirst.size())),
        parent_fold_(fold_all(kParentFirst.data(), kParentFirst.size())) {
    row_of_child_.reserve(static_cast<std::size_t>(rows));
  }

  const Calendar& calendar() const { return cal_; }
  u64 children() const { return row_of_child_.size(); }
  u64 row_of(u64 k) const { return row_of_child_[static_cast<std::size_t>(k)]; }
  void add_child(u64 row) { row_of_child_.push_back(static_cast<u32>(row)); }

  // Child k is the sibling of child k-1 (same family) when this says so; a family never spans
  // a multiple of 8, so rebuilding it walks back at most 7 children.
  bool is_sibling(u64 k) const { return k % 8 != 0 && mix(cal_.seed, k, 5) % 100 < 10; }

  void make_child(u64 k, Family& fam, Child& ch) {
    u64 root = k;
    while (is_sibling(root)) --root;
    make_family(cal_.seed, root, fam);
    root_ = root;

    std::array<std::size_t, 8> used{};
    int prev_birth = -1;
    for (u64 i = root; i <= k; ++i) {
      Rng rng(mix(cal_.seed, i, 2));
      std::size_t idx = rng.skewed(kChildFirst.size());
      for (bool clash = true; clash;) {  // siblings have different first names
        clash = false;
        for (u64 j = root; j < i; ++j)
          if (child_fold_[used[j - root]] == child_fold_[idx]) clash = true;
        if (clash) idx = (idx + 1) % kChildFirst.size();
      }
      used[i - root] = idx;

      const int reg = cal_.reg_day(row_of(i));
      int cap = add_years(reg < kUseMax ? reg : kUseMax, -8);
      if (cap > kBirthMax) cap = kBirthMax;
      int birth = 0;
      if (prev_birth >= 0 && prev_birth <= cap && rng.chance(0.04)) {
        birth = prev_birth;  // twins
      } else {  // peaked around 2009 (sum of two uniforms)
        const double u = (rng.unit() + rng.unit()) / 2.0;
        birth = kBirthMin + static_cast<int>(u * (cap - kBirthMin + 1));
        if (birth > cap) birth = cap;
      }
      prev_birth = birth;
      if (i < k) continue;

      ch.first = idx;
      ch.birth = birth;
      finish_child(rng, reg, fam, ch);
    }
  }

 private:
  void finish_child(Rng& rng, int reg, const Family& fam, Child& ch) const {
    int lo = add_years(ch.birth, 8);
    if (lo < kUseMin) lo = kUseMin;
    const int hi = reg < kUseMax ? reg : kUseMax;  // lo <= hi by construction of the birth cap

    int wlo = lo, whi = hi;
    bool musically = false;
    if (lo + 60 <= kMerge && rng.chance(0.12)) {
      musically = true;
      const int end = rng.chance(0.05) ? kMusicallyLate : kMerge;  // a few "after the merge"
      whi = end < hi ? end : hi;
    } else if (rng.chance(0.85) && kMerge <= hi) {
      wlo = lo > kMerge ? lo : kMerge;
    }
    ch.first_use = rng.between(wlo, whi);

    ch.last_use = -1;
    if (rng.chance(0.40)) {
      const int lhi = reg < kLastUseMax ? reg : kLastUseMax;
      if (lhi > ch.first_use) ch.last_use = rng.between(ch.first_use + 1, lhi);
    }

    const u32 spell = rng.below(100);
    if (musically) ch.platform = spell < 55 ? "musical.ly" : spell < 85 ? "Musical.ly" : "musically";
    else ch.platform = spell < 50 ? "tiktok" : spell < 90 ? "TikTok" : spell < 97 ? "Tiktok" : "TIKTOK";

    const int age = age_on(ch.birth, reg);
    ch.self = (age >= 18 && rng.chance(0.60)) || (age >= 16 && age < 18 && rng.chance(0.04));
    const bool dutch = rng.chance(0.05);
    if (ch.self) ch.relation = dutch ? "zelf" : "self";
    else if (fam.guardian) ch.relation = dutch ? "voogd" : "guardian";
    else ch.relation = dutch ? "ouder" : "parent";

    ch.consent = random_consent(rng);

    if (ch.self) {
      make_person(rng, kChildFirst[ch.first], fam.sur, true, 0.75, ch.own);
      if (ch.own.email == fam.a.email) tag_email(ch.own.email, '1');
    }
  }

 public:
  static string_view random_consent(Rng& rng) {
    const u32 c = rng.below(1000);
    if (c < 450) return "ja";
    if (c < 700) return "yes";
    if (c < 920) return "1";
    if (c < 950) return "Ja";
    if (c < 970) return "true";
    if (c < 985) return "JA";
    if (c < 990) return "nee";
    if (c < 995) return "0";
    return "";  // left empty: consent not given
  }

  // The family (its first child's index) of the child last made by make_child.
  u64 root() const { return root_; }

  // The other parent of the family last made by make_child.
  void make_other_parent_of_last(Family& fam) const {
    make_other_parent(cal_.seed, root_, parent_fold_, fam);
  }

 private:
  Calendar cal_;
  u64 root_ = 0;
  std::vector<std::string> child_fold_, parent_fold_;
  std::vector<u32> row_of_child_;
};

// ---------------------------------------------------------------------------------------------
// Output

class Out {
 public:
  static constexpr std::size_t kCap = std::size_t{1} << 22;
  static constexpr std::size_t kMaxRow = 1 << 14;

  Out() : buf_(kCap) {}
  void ensure_row() {
    if (len_ + kMaxRow > buf_.size()) flush();
  }
  void put(char c) { buf_[len_++] = c; }
  void put(string_view s) {
    std::memcpy(buf_.data() + len_, s.data(), s.size());
    len_ += s.size();
  }
  // RFC 4180: quoted only when it must be.
  void field(string_view s) {
    bool plain = true;
    for (char c : s) plain = plain && c != ',' && c != '"' && c != '\r' && c != '\n';
    if (plain) {
      put(s);
      return;
    }
    put('"');
    for (char c : s) {
      if (c == '"') put('"');
      put(c);
    }
    put('"');
  }
  void num(u64 v, int width) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 || n < width);
    while (n > 0) put(tmp[--n]);
  }
  void date(int day) {
    const Ymd t = civil_from_days(day);
    num(static_cast<u64>(t.y), 4);
    put('-');
    num(static_cast<u64>(t.m), 2);
    put('-');
    num(static_cast<u64>(t.d), 2);
  }
  bool flush() {
    if (len_ != 0 && std::fwrite(buf_.data(), 1, len_, stdout) != len_) ok_ = false;
    len_ = 0;
    return ok_;
  }
  bool finish() { return flush() && std::fflush(stdout) == 0 && ok_; }

 private:
  std::vector<char> buf_;
  std::size_t len_ = 0;
  bool ok_ = true;
};

constexpr string_view kHeader =
    "external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,country,"
    "postcode,house_number,platform,first_use,last_use,registrant_name,registrant_email,"
    "registrant_phone,registrant_relation,consent,registered_at\n";

struct RowNames {
  std::string first, prefix, last;
};

// --changed PCT: the nightly dump after corrections. PCT% of the submissions (chosen by their
// first row, so a submission sent twice is changed alike) differ from the file without it: a
// third a new postcode (a move), a third consent the other way, a third a state (withdrawn or
// opted-out) in a trailing `state` column, empty on every other row.
struct Changes {
  double p = 0;  // 0: no changes and no state column
  enum Kind { none, postcode, consent, state };
  Kind of(u64 seed, u64 submission_row, string_view* state_value) const {
    if (p <= 0) return none;
    Rng rng(mix(seed, submission_row, 9));
    if (!rng.chance(p)) return none;
    const u32 k = rng.below(3);
    *state_value = rng.chance(0.5) ? "withdrawn" : "opted-out";
    return k == 0 ? postcode : k == 1 ? consent : state;
  }
};

void write_row(Out& out, const Calendar& cal, u64 submission_row, const Child& ch,
               const Family& fam, const RowNames& names, const Person& registrant,
               string_view relation, string_view consent, const Changes& changes, u64 seed,
               string_view ref = {}) {
  string_view state_value;
  const Changes::Kind change = changes.of(seed, submission_row, &state_value);
  std::string moved;
  if (change == Changes::postcode && !fam.postcode.empty()) {
    moved.assign(fam.postcode);
    moved.back() = moved.back() == 'X' ? 'Y' : 'X';  // never SA, SD or SS
  }
  if (change == Changes::consent) {
    const char c = consent.empty() ? 'n' : consent[0];
    consent = (c == 'y' || c == 'Y' || c == 'j' || c == 'J' || c == '1' || c == 't' || c == 'T') ? "nee" : "ja";
  }
  if (ref.empty()) {
    out.put("TBYP-");
    out.num(cal.ref(submission_row), 9);
  } else {
    out.put(ref);
  }
  out.put(',');
  out.field(names.first);
  out.put(',');
  out.field(names.prefix);
  out.put(',');
  out.field(names.last);
  out.put(',');
  out.date(ch.birth);
  out.put(',');
  out.put(fam.country);
  out.put(',');
  out.put(moved.empty() ? string_view(fam.postcode) : string_view(moved));
  out.put(',');
  out.field(fam.house);
  out.put(',');
  out.put(ch.platform);
  out.put(',');
  out.date(ch.first_use);
  out.put(',');
  if (ch.last_use >= 0) out.date(ch.last_use);
  out.put(',');
  out.field(registrant.name);
  out.put(',');
  out.field(registrant.email);
  out.put(',');
  out.field(registrant.phone);
  out.put(',');
  out.put(relation);
  out.put(',');
  out.put(consent);
  out.put(',');
  out.date(cal.reg_day(submission_row));
  const int sec = cal.reg_second(submission_row);
  out.put('T');
  out.num(static_cast<u64>(sec / 3600), 2);
  out.put(':');
  out.num(static_cast<u64>(sec / 60 % 60), 2);
  out.put(':');
  out.num(static_cast<u64>(sec % 60), 2);
  out.put('Z');
  if (changes.p > 0) {
    out.put(',');
    if (change == Changes::state) out.put(state_value);
  }
  out.put('\n');
}

void canonical_names(const Child& ch, const Family& fam, RowNames& n) {
  n.first.assign(kChildFirst[ch.first]);
  n.prefix.assign(fam.sur.prefix);
  n.last.assign(fam.sur.last);
}

// The same child typed differently; the duplicate key must still match.
void vary_names(Rng& rng, RowNames& n) {
  std::array<int, 6> options{};
  int count = 0;
  if (!is_ascii(n.first)) options[static_cast<std::size_t>(count++)] = 0;  // Zoë -> Zoe
  if (!n.prefix.empty() && n.prefix[0] >= 'a' && n.prefix[0] <= 'z') {
    options[static_cast<std::size_t>(count++)] = 1;  // van der -> Van der
  }
  if (!n.prefix.empty()) options[static_cast<std::size_t>(count++)] = 2;  // into last name
  if (n.prefix.find('\'') != std::string::npos) options[static_cast<std::size_t>(count++)] = 3;
  if (is_ascii(n.first)) options[static_cast<std::size_t>(count++)] = 4;  // lower-case first
  if (is_ascii(n.last)) options[static_cast<std::size_t>(count++)] = 5;   // LAST NAME IN CAPS
  switch (options[rng.below(static_cast<u32>(count))]) {
    case 0: {
      std::string s;
      translit(n.first, s, Translit::strip);
      n.first = s;
      break;
    }
    case 1:
      n.prefix[0] = static_cast<char>(n.prefix[0] - 'a' + 'A');
      break;
    case 2: {
      if (rng.chance(0.5) && n.prefix[0] >= 'a' && n.prefix[0] <= 'z')
        n.prefix[0] = static_cast<char>(n.prefix[0] - 'a' + 'A');
      std::string s = n.prefix + " " + n.last;
      n.last = s;
      n.prefix.clear();
      break;
    }
    case 3:
      n.prefix.replace(n.prefix.find('\''), 1, "\u2019");  // 't -> ’t
      break;
    case 4:
      for (char& c : n.first)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      break;
    default:
      for (char& c : n.last)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Near-duplicates (--near-duplicates): registrations the exact key misses, and hard negatives

// Optimal string alignment distance (for look-alike first names).
std::size_t osa(string_view a, string_view b) {
  std::vector<std::size_t> d((a.size() + 1) * (b.size() + 1));
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (b.size() + 1) + j]; };
  for (std::size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t v = std::min(at(i - 1, j) + 1, at(i, j - 1) + 1);
      v = std::min(v, at(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, at(i - 2, j - 2) + 1);
      at(i, j) = v;
    }
  return at(a.size(), b.size());
}

// A typing error in an ASCII letter of `s`: a letter replaced by a neighbour on the keyboard,
// dropped, doubled, or swapped with the next one. Non-ASCII names get their accents stripped
// first (the folded key would match otherwise).
std::string typo(Rng& rng, string_view in) {
  std::string s;
  translit(in, s, Translit::strip);
  if (s.size() < 2) return s + "e";
  static constexpr string_view rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string t = s;
    const std::size_t i = 1 + rng.below(static_cast<u32>(t.size() - 1));  // keep the initial
    const char c = t[i];
    if (c < 'a' || c > 'z') continue;
    switch (rng.below(4)) {
      case 0: {  // a neighbouring key
        for (string_view row : rows) {
          const std::size_t k = row.find(c);
          if (k == string_view::npos) continue;
          t[i] = k + 1 < row.size() && (k == 0 || rng.chance(0.5)) ? row[k + 1] : row[k - 1];
        }
        break;
      }
      case 1:
        if (t.size() <= 3) continue;
        t.erase(i, 1);
        break;
      case 2:
        t.insert(i, 1, c);
        break;
      default:
        if (i + 1 >= t.size() || t[i + 1] == c) continue;
        std::swap(t[i], t[i + 1]);
    }
    std::string a, b;
    translit(t, a, Translit::fold);
    translit(in, b, Translit::fold);
    if (a != b) return t;
  }
  return s + "e";
}

// Another child's first name that looks like `name` (one or two edits), else any other one.
std::size_t look_alike(Rng& rng, const std::vector<std::string>& fold, std::size_t name) {
  std::array<std::size_t, 16> close{};
  std::size_t n = 0;
  for (std::size_t k = 0; k < fold.size() && n < close.size(); ++k) {
    if (fold[k] == fold[name]) continue;
    const std::size_t d = osa(fold[k], fold[name]);
    if (d >= 1 && d <= 2 && fold[k][0] == fold[name][0]) close[n++] = k;
  }
  if (n > 0) return close[rng.below(static_cast<u32>(n))];
  return (name + 1 + rng.below(static_cast<u32>(fold.size() - 1))) % fold.size();
}

// With --near-duplicates, one e-mail address is one person's: the names an address is made of
// repeat (two parents called M. Jansen), which would make a near-duplicate of two other
// children; the second owner's address gets a number. `owner`: a family's first parent
// (root * 4), its second (root * 4 + 1), or a child registering itself (child * 4 + 2).
class EmailOwners {
 public:
  explicit EmailOwners(bool on) : on_(on) {}
  void own(Person& p, u64 owner) {
    if (!on_) return;
    u64 h = 1469598103934665603ULL;
    for (char c : p.email) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    const auto [it, added] = first_.emplace(h, owner);
    if (added || it->second == owner) return;
    const std::size_t at = p.email.find('@');
    p.email.insert(at, "." + std::to_string(owner % 1000003));
  }

 private:
  bool on_;
  std::unordered_map<u64, u64> first_;
};

// The kinds of near-duplicate rows, in the order of their weights below.
enum class Near { first_typo, last_typo, swap, date_typo, no_prefix, moved, twin, sibling };
constexpr std::array<std::pair<Near, int>, 8> kNearKinds = {{
    {Near::first_typo, 20}, {Near::last_typo, 15}, {Near::swap, 12}, {Near::date_typo, 12},
    {Near::no_prefix, 8},   {Near::moved, 13},     {Near::twin, 12}, {Near::sibling, 8},
}};

Near pick_near(Rng& rng) {
  int total = 0;
  for (const auto& k : kNearKinds) total += k.second;
  int x = static_cast<int>(rng.below(static_cast<u32>(total)));
  for (const auto& k : kNearKinds) {
    if (x < k.second) return k.first;
    x -= k.second;
  }
  return Near::first_typo;
}

// A birth date with one digit wrong (the day's, or two day digits swapped, or the year one
// off), still a real date in the generator's range.
int date_typo(Rng& rng, int birth) {
  const Ymd t = civil_from_days(birth);
  for (int attempt = 0; attempt < 16; ++attempt) {
    Ymd u = t;
    switch (rng.below(3)) {
      case 0: u.d = (t.d / 10) * 10 + static_cast<int>(rng.below(10)); break;
      case 1: u.d = (t.d % 10) * 10 + t.d / 10; break;
      default: u.y = t.y + (rng.chance(0.5) ? 1 : -1); break;
    }
    if (u.d < 1 || u.d > 28 || (u.y == t.y && u.d == t.d)) continue;
    const int day = days_from_civil(u.y, u.m, u.d);
    if (day >= kBirthMin && day <= kBirthMax) return day;
  }
  return birth + 1;
}

// ---------------------------------------------------------------------------------------------
// Command line

[[noreturn]] void usage(const char* msg) {
  if (msg != nullptr) std::fprintf(stderr, "gen_registrations: %s\n", msg);
  std::fprintf(msg == nullptr ? stdout : stderr,
               "usage: gen_registrations --rows N [--seed S] [--duplicates PCT] [--changed PCT]\n"
               "  Writes N realistic registrations as CSV on stdout (deterministic per seed).\n"
               "  --rows N          number of data rows (required, 1..4000000000)\n"
               "  --seed S          PRNG seed (default 1)\n"
               "  --duplicates PCT  share of rows that re-register an earlier child (default 2,\n"
               "                    0..50; decimals allowed)\n"
               "  --changed PCT     the same file after corrections: PCT%% of the submissions\n"
               "                    with a new postcode, consent the other way or a state\n"
               "                    (a trailing state column)\n"
               "  --near-duplicates PCT  after about PCT%% of the rows, a registration the exact\n"
               "                    key misses (typos, swaps, a dropped prefix, a move) or a\n"
               "                    look-alike twin or sibling (0..50; needs --truth)\n"
               "  --truth FILE      the near-duplicates' children: CHILD<TAB>EXTERNAL_REF lines\n");
  std::exit(msg == nullptr ? 0 : 64);
}

u64 parse_u64(const char* s, const char* what) {
  if (s == nullptr || *s == '\0' || *s == '-') usage(what);
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0') usage(what);
  return static_cast<u64>(v);
}

double parse_pct(const char* s) {
  if (s == nullptr || *s == '\0') usage("a percentage is needed");
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (*end != '\0' || !(v >= 0.0 && v <= 50.0)) usage("a percentage must be a number in 0..50");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  u64 rows = 0;
  bool have_rows = false;
  u64 seed = 1;
  double pct = 2.0;
  Changes changes;
  double near_pct = 0;
  const char* truth_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const string_view arg = argv[i];
    const auto eq = arg.find('=');
    const string_view name = arg.substr(0, eq);
    const char* value = nullptr;
    if (eq != string_view::npos) value = argv[i] + eq + 1;
    auto take = [&]() -> const char* {
      if (value != nullptr) return value;
      if (i + 1 >= argc) usage("option needs a value");
      return argv[++i];
    };
    if (name == "--help" || name == "-h") usage(nullptr);
    else if (name == "--rows") {
      rows = parse_u64(take(), "--rows must be a positive integer");
      have_rows = true;
    } else if (name == "--seed") seed = parse_u64(take(), "--seed must be a non-negative integer");
    else if (name == "--duplicates") pct = parse_pct(take());
    else if (name == "--changed") changes.p = parse_pct(take()) / 100.0;
    else if (name == "--near-duplicates") near_pct = parse_pct(take());
    else if (name == "--truth") truth_path = take();
    else usage("unknown argument");
  }
  if (!have_rows) usage("--rows is required");
  if (rows == 0 || rows > 4000000000ULL) usage("--rows must be in 1..4000000000");
  if ((near_pct > 0) != (truth_path != nullptr)) usage("--near-duplicates and --truth go together");
  std::FILE* truth = nullptr;
  if (truth_path != nullptr) {
    truth = std::fopen(truth_path, "w");
    if (truth == nullptr) {
      std::fprintf(stderr, "gen_registrations: cannot create the truth file: %s\n", std::strerror(errno));
      return 73;
    }
  }
  const std::vector<std::string> child_fold = fold_all(kChildFirst.data(), kChildFirst.size());
  u64 near_count = 0;
  EmailOwners owners(near_pct > 0);

  Generator gen(seed, rows);
  const Calendar& cal = gen.calendar();
  Rng main_rng(mix(seed, 0, 0));
  const double dup_p = pct / 100.0;

  Out out;
  if (changes.p > 0) {
    out.put(kHeader.substr(0, kHeader.size() - 1));
    out.put(",state\n");
  } else {
    out.put(kHeader);
  }
  Family fam;
  Child ch;
  RowNames names;
  Person other;
  for (u64 r = 0; r < rows; ++r) {
    out.ensure_row();
    const u64 k = gen.children();
    // A near-duplicate row first, from its own random stream (the other rows stay as they are).
    if (near_pct > 0 && k > 0) {
      Rng nr(mix(seed, r, 12));
      if (nr.chance(near_pct / 100.0)) {
        const u64 j = nr.chance(0.5) ? k - 1 - nr.below64(k < 2000 ? k : 2000) : nr.below64(k);
        gen.make_child(j, fam, ch);
        canonical_names(ch, fam, names);
        const Near kind = pick_near(nr);
        Person registrant = ch.self ? ch.own : fam.a;
        u64 owner = ch.self ? j * 4 + 2 : gen.root() * 4;
        // The cases: a parent registering again after a move (the same parent), or
        // a typo by the same parent or the other one.
        if (kind != Near::twin && kind != Near::sibling && kind != Near::moved && nr.chance(0.5)) {
          if (!ch.self) gen.make_other_parent_of_last(fam);
          registrant = ch.self ? fam.a : fam.b;
          owner = ch.self ? gen.root() * 4 : gen.root() * 4 + 1;
        }
        const bool own_address = registrant.email == ch.own.email && ch.self;
        owners.own(registrant, owner);
        Child near = ch;
        switch (kind) {
          case Near::first_typo: names.first = typo(nr, names.first); break;
          case Near::last_typo: names.last = typo(nr, names.last); break;
          case Near::swap: {
            const Ymd t = civil_from_days(ch.birth);
            if (t.d <= 12 && t.d != t.m) near.birth = days_from_civil(t.y, t.d, t.m);
            else near.birth = date_typo(nr, ch.birth);
            break;
          }
          case Near::date_typo: near.birth = date_typo(nr, ch.birth); break;
          case Near::no_prefix:
            if (names.prefix.empty()) names.last = typo(nr, names.last);
            else names.prefix.clear();
            break;
          case Near::moved: {
            fam.postcode.clear();
            append_int(fam.postcode, static_cast<unsigned>(nr.between(1011, 9999)), 4);
            fam.postcode += " XY";
            fam.house.clear();
            append_int(fam.house, static_cast<unsigned>(nr.between(1, 299)), 1);
            break;
          }
          case Near::twin:
          case Near::sibling:
            near.first = look_alike(nr, child_fold, ch.first);
            names.first.assign(kChildFirst[near.first]);
            if (kind == Near::sibling) {
              const int older = add_years(ch.birth, -nr.between(1, 4));
              near.birth = older >= kBirthMin ? older : add_years(ch.birth, nr.between(1, 3));
              if (near.birth > kBirthMax || near.birth > add_years(near.first_use, -1)) near.birth = older;
            }
            break;
        }
        if (near.birth > near.first_use) near.birth = ch.birth;  // first use not before birth
        char ref[32];
        std::snprintf(ref, sizeof ref, "TBYN-%010llu", static_cast<unsigned long long>(near_count++));
        write_row(out, cal, r, near, fam, names, registrant, own_address ? ch.relation : (fam.guardian ? "guardian" : "parent"),
                  ch.consent, changes, seed, ref);
        if (kind != Near::twin && kind != Near::sibling) {
          std::fprintf(truth, "%llu\tTBYP-%09llu\n%llu\t%s\n", static_cast<unsigned long long>(j),
                       static_cast<unsigned long long>(cal.ref(gen.row_of(j))),
                       static_cast<unsigned long long>(j), ref);
        }
        out.ensure_row();
      }
    }
    if (k == 0 || !main_rng.chance(dup_p)) {  // a new child
      gen.add_child(r);
      gen.make_child(k, fam, ch);
      canonical_names(ch, fam, names);
      Person registrant = ch.self ? ch.own : fam.a;
      owners.own(registrant, ch.self ? k * 4 + 2 : gen.root() * 4);
      write_row(out, cal, r, ch, fam, names, registrant, ch.relation, ch.consent, changes, seed);
      continue;
    }

    // A duplicate of an earlier child: half of them recent (a form sent twice, the other parent
    // the same evening), half from anywhere earlier.
    u64 j = 0;
    if (main_rng.chance(0.5)) {
      const u64 window = k < 2000 ? k : 2000;
      j = k - 1 - main_rng.below64(window);
    } else {
      j = main_rng.below64(k);
    }
    gen.make_child(j, fam, ch);
    canonical_names(ch, fam, names);
    Person original = ch.self ? ch.own : fam.a;
    owners.own(original, ch.self ? j * 4 + 2 : gen.root() * 4);
    if (main_rng.chance(0.40)) {  // the same submission again: same reference, same everything
      // A variant is drawn (the rest of the file stays as it was) but not written: the same
      // reference with other values is a correction, which a dump holds once.
      if (main_rng.chance(0.10)) {
        RowNames unused = names;
        vary_names(main_rng, unused);
      }
      write_row(out, cal, gen.row_of(j), ch, fam, names, original, ch.relation, ch.consent,
                changes, seed);
    } else {  // the other parent (or a parent, if the child registered itself)
      if (main_rng.chance(0.35)) vary_names(main_rng, names);
      if (!ch.self) gen.make_other_parent_of_last(fam);
      other = ch.self ? fam.a : fam.b;
      if (other.email == original.email) tag_email(other.email, '3');
      owners.own(other, ch.self ? gen.root() * 4 : gen.root() * 4 + 1);
      const bool dutch = main_rng.chance(0.05);
      const string_view relation = fam.guardian ? (dutch ? "voogd" : "guardian")
                                                : (dutch ? "ouder" : "parent");
      write_row(out, cal, r, ch, fam, names, other, relation, Generator::random_consent(main_rng),
                changes, seed);
    }
  }
  if (truth != nullptr && std::fclose(truth) != 0) {
    std::fprintf(stderr, "gen_registrations: cannot write the truth file: %s\n", std::strerror(errno));
    return 74;
  }
  if (!out.finish()) {
    std::fprintf(stderr, "gen_registrations: write error: %s\n", std::strerror(errno));
    return 74;
  }
  return 0;
}
