"""How a doc's time is read: markers, notices and header blocks (`headers`, `banners`), a docs site's
own statement of its versions (`sites` with `site_tree`, `site_configs`, `site_claims`, `site_model`,
`docusaurus`, `jsliteral`), a page's twins across versions (`families`), and whether a doc is current,
aging, superseded or deprecated (`assess`).

Connectors use the readers while crawling and the audit uses `assess`, so this sits below both: it may
import only the records and config.
"""
