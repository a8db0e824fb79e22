"""Line breaking for centred headings: balanced lines that break between word groups.

A title such as "KEPUTUSAN KEPALA DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU" is
broken by hand in a well-drafted decree: lines of about equal length, never a lone last word,
never a line ending in a word that binds to the next ("DAN", "SATU", "NOMOR"...).
"""

from __future__ import annotations

import math

# A line never ends with these: they bind to the word after them.
GLUE_AFTER = frozenset({
    "DAN", "DI", "KE", "DARI", "YANG", "ATAS", "DENGAN", "UNTUK", "ATAU", "DAN/ATAU",
    "TENTANG", "SERTA", "BAGI", "PADA", "OLEH", "SATU", "TERPADU", "PENANAMAN", "NOMOR",
    "TAHUN", "KEPALA", "PELAYANAN", "SURAT", "TANDA", "SERTIFIKAT", "KABUPATEN", "PROVINSI",
    "DINAS",
})


def word_groups(text: str, width: int = 44) -> list[str]:
    """``text`` in as few lines of at most ``width`` characters as it takes, balanced, breaking
    only where :data:`GLUE_AFTER` allows (a word longer than ``width`` gets its own line)."""
    words = text.split()
    if len(" ".join(words)) <= width or len(words) < 2:
        return [" ".join(words)]
    total = len(" ".join(words))
    inf = float("inf")
    fallback: list[str] | None = None
    for n in range(max(2, math.ceil(total / width)), len(words) + 1):
        target = total / n
        # best[k][j]: cost of words[:j] in k lines
        best = [[inf] * (len(words) + 1) for _ in range(n + 1)]
        back = [[0] * (len(words) + 1) for _ in range(n + 1)]
        best[0][0] = 0.0
        for k in range(1, n + 1):
            for j in range(1, len(words) + 1):
                for i in range(j):
                    if best[k - 1][i] == inf:
                        continue
                    line = " ".join(words[i:j])
                    if len(line) > width and j - i > 1:
                        continue
                    cost = (len(line) - target) ** 2
                    if j < len(words) and words[j - 1].upper().strip(",") in GLUE_AFTER:
                        cost += 10_000
                    if best[k - 1][i] + cost < best[k][j]:
                        best[k][j] = best[k - 1][i] + cost
                        back[k][j] = i
        if best[n][len(words)] < inf:
            lines, j = [], len(words)
            for k in range(n, 0, -1):
                i = back[k][j]
                lines.append(" ".join(words[i:j]))
                j = i
            if best[n][len(words)] < 10_000:
                return lines[::-1]
            # a bad break: one more line may avoid it
            fallback = fallback or lines[::-1]
    return fallback or [" ".join(words)]


def lines(text: str, width: int = 44) -> str:
    """:func:`word_groups` joined by line breaks (a Jinja filter: ``|baris(44)``)."""
    return "\n".join(word_groups(str(text), width))
