// stl.cc — a C++ STL program with over-aligned types (aligned operator new), as a "real
// program": its output must be the same with and without the shim (tests/preload/real.sh stl).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

struct alignas(64) Cell {
    std::uint64_t v[4];
};

int main(int argc, char **argv)
{
    long n = argc > 1 ? std::atol(argv[1]) : 200000;
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::uint64_t x) { h = (h ^ x) * 1099511628211ULL; };
    std::vector<std::string> words;
    std::unordered_map<std::string, long> counts;
    std::map<long, std::string> ordered;
    std::deque<std::unique_ptr<Cell>> cells;
    std::vector<Cell> packed;
    std::list<std::shared_ptr<std::vector<int>>> lists;
    std::uint64_t s = 12345;
    for (long i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        std::string w = std::to_string(s >> 40) + std::string((s >> 20) % 40, 'x');
        counts[w.substr(0, 4)]++;
        words.push_back(w);
        if (i % 3 == 0)
            ordered[static_cast<long>(s % 100000)] = w;
        auto c = std::make_unique<Cell>();
        c->v[0] = s;
        cells.push_back(std::move(c));
        packed.push_back(Cell{{s, s + 1, s + 2, s + 3}});
        if (cells.size() > 1000) {
            mix(cells.front()->v[0]);
            cells.pop_front();
        }
        if (i % 100 == 0) {
            lists.push_back(std::make_shared<std::vector<int>>(static_cast<size_t>(s % 1000), 7));
            if (lists.size() > 50)
                lists.pop_front();
        }
    }
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    for (const auto &w : words)
        mix(std::hash<std::string>{}(w));
    for (const auto &kv : ordered)
        mix(static_cast<std::uint64_t>(kv.first) + kv.second.size());
    std::set<long> keys;
    for (const auto &kv : counts)
        keys.insert(kv.second);
    for (long k : keys)
        mix(static_cast<std::uint64_t>(k));
    bool al = true;
    for (const auto &c : cells)
        al = al && (reinterpret_cast<std::uintptr_t>(c.get()) % 64 == 0);
    al = al && (reinterpret_cast<std::uintptr_t>(packed.data()) % 64 == 0);
    std::printf(
        "stl: %zu unique words, %zu keys, %zu cells, %zu packed, aligned %s, digest %016llx\n",
        words.size(), keys.size(), cells.size(), packed.size(), al ? "yes" : "NO",
        static_cast<unsigned long long>(h));
    return al ? 0 : 1;
}
