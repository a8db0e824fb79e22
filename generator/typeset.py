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
    "TAHUN", "KEPALA", "SURAT", "TANDA", "SERTIFIKAT", "KABUPATEN", "PROVINSI",
})
# ... and preferably not with these ("PELAYANAN TERPADU", "DINAS KESEHATAN").
WEAK_GLUE = frozenset({"PELAYANAN", "DINAS", "IZIN", "BADAN"})


def word_groups(text: str, width: int = 44) -> list[str]:
    """``text`` in as few lines of at most ``width`` characters as it takes, balanced, breaking
    only where :data:`GLUE_AFTER` allows (a word longer than ``width`` gets its own line)."""
    words = text.split()
    if len(" ".join(words)) <= width or len(words) < 2:
        return [" ".join(words)]
    total = len(" ".join(words))
    inf = float("inf")
    choices: list[tuple[float, list[str]]] = []
    first = max(2, math.ceil(total / width))
    for n in range(first, min(len(words), first + 2) + 1):
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
                    last = words[j - 1].upper().strip(",")
                    if j < len(words) and last in GLUE_AFTER:
                        cost += 10_000
                    elif j < len(words) and last in WEAK_GLUE:
                        cost += 1_000
                    if j - i == 1 and len(words) > 2:
                        cost += 5_000  # a lone word on a line ("PINTU")
                    if best[k - 1][i] + cost < best[k][j]:
                        best[k][j] = best[k - 1][i] + cost
                        back[k][j] = i
        if best[n][len(words)] < inf:
            lines, j = [], len(words)
            for k in range(n, 0, -1):
                i = back[k][j]
                lines.append(" ".join(words[i:j]))
                j = i
            # one more line costs something, a bad break costs more
            choices.append((best[n][len(words)] + 300 * (n - first), lines[::-1]))
    return min(choices, key=lambda c: c[0])[1] if choices else [" ".join(words)]


def lines(text: str, width: int = 44) -> str:
    """:func:`word_groups` joined by line breaks (a Jinja filter: ``|baris(44)``)."""
    return "\n".join(word_groups(str(text), width))
