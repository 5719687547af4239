"""Web plumbing shared by every portal; imports no domain app: security headers and secure
cookies (:mod:`.security`), one upload field with its streaming limits (:mod:`.uploads`)
and one pagination helper (:mod:`.pagination`)."""
