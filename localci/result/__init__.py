"""Result documents: the model, canonical digest, the store and rendering."""
