"""Web plumbing shared by every portal and imports no domain app: request guards and
security headers (:mod:`.security`), one upload field with its streaming limits
(:mod:`.uploads`) and one pagination helper (:mod:`.pagination`)."""
