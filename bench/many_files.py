#!/usr/bin/env python3
# The generated corpus of the benchmarks (bench/compare.sh --many, bench/scale.sh):
#   bench/many_files.py DIR N [LARGE]
# N small text files of 200 B - 3 KB (words from a fixed vocabulary, so they
# compress like text), 100 a directory, 100 directories a level
# (DIR/d000/d000/f00000.txt ... DIR/d099/d099/f999999.txt), and LARGE files of
# 32 MiB of random bytes (default 3) in DIR. The small files are the same for
# the same N (seeded), and the first M files of a tree of N > M are the tree of
# M: bench/scale.sh generates the largest size once and uses the first
# directories for the smaller ones.
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
large = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rnd = random.Random(15)
words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 10000), "d%03d" % (i // 100 % 100))
    if i % 100 == 0: os.makedirs(d, exist_ok=True)
    size = rnd.randint(200, 3000)
    data = b" ".join(rnd.choice(words) for _ in range(size // 5))[:size]
    with open(os.path.join(d, "f%05d.txt" % i), "wb") as f: f.write(data)
for i in range(large):
    with open(os.path.join(root, "large%d.bin" % i), "wb") as f: f.write(os.urandom(32 << 20))
