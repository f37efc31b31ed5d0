/** Guest images built from Debian packages (see docs/images.md). */
export { buildImage, listRecipes, findRecipe, cachedImage, cachedImageDir, type BuiltImage, type BuildOptions, type ImageMetadata } from "./builder.js";
export { imageCacheDir } from "./cache.js";
export { recipeHash, configuredSummary, BUILDER_VERSION, type Recipe, type DebianRecipe, type TinyRecipe } from "./recipe.js";
export { detectDiskMethod, type DiskMethod } from "./disk.js";
export { ImageBuildError, type BuildProgress } from "./steps.js";
