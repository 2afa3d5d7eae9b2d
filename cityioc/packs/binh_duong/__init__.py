"""The Bình Dương city pack: data only, read by cityioc.packs (docs/packs.md)."""
