"""The project's spiders: `enterprise_site` (websites of register units) and `shop_listing`
(product listings of online shops)."""
