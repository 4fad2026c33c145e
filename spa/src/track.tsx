import { render } from 'preact';
import './styles/app.css';
import { TrackPage } from './components/TrackPage';
import { mount } from './mount';

mount((el, id) => render(<TrackPage id={id} />, el));
