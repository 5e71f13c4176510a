#include <cstdio>
#include "base/version.hpp"
int main() { std::printf("cairn %s\n", cairn::program_version); }
