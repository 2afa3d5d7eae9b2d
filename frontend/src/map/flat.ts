// Read by Leaflet when it loads (so imported before it): position markers with 2D transforms.
// With 3D ones every marker is a compositing layer: with thousands of markers (10,000 sensors)
// the page spent most of each frame re-layering them (`cityioc bench --only ui`). The cost:
// zooms jump instead of animating.
(window as unknown as { L_DISABLE_3D: boolean }).L_DISABLE_3D = true;
